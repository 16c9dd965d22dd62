import CKartKlashClient
import Foundation
import KKClient
import KKClientSDK

// Results, stats, leaderboards, ghosts, wallet and store on an account handle
// (include/kartklash_client.h).

/// Runs a JSON-answering call; the bytes copied out, 0 on failure (kk_last_error()).
private func jsonCall(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int,
                      _ body: (AccountHandle) throws(AuthClientError) -> [UInt8]) -> Int {
    var out: [UInt8] = []
    let rc = accountCall(p) { (h) throws(AuthClientError) in out = try body(h) }
    return rc == 0 ? copyOut(out, buf, len) : 0
}

@_cdecl("kk_account_result_json")
public func kkAccountResultJSON(_ p: OpaquePointer?, _ matchId: Int64, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in
        guard matchId > 0 else { throw .refused(status: 400, code: "bad_request") }
        return [UInt8]((try? JSONEncoder().encode(try h.results.result(matchId: matchId))) ?? Data())
    }
}

@_cdecl("kk_account_stats_json")
public func kkAccountStatsJSON(_ p: OpaquePointer?, _ playerId: Int64, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in
        let id = playerId > 0 ? playerId : try h.live().accountId
        return [UInt8]((try? JSONEncoder().encode(try h.results.stats(playerId: id))) ?? Data())
    }
}

@_cdecl("kk_account_leaderboard_json")
public func kkAccountLeaderboardJSON(_ p: OpaquePointer?, _ track: UnsafePointer<CChar>?, _ scope: Int32, _ limit: Int32,
                                     _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in
        guard let track = text(track), (1...100).contains(limit) else { throw .refused(status: 400, code: "bad_request") }
        let s: ResultsClient.Scope
        switch UInt32(bitPattern: scope) {
        case KK_BOARD_TOP.rawValue: s = .top
        case KK_BOARD_AROUND_ME.rawValue: s = .around(try h.live().accountId)
        case KK_BOARD_FRIENDS.rawValue: s = .friends
        default: throw .refused(status: 400, code: "bad_scope")
        }
        let session = s == .top ? nil : try h.live()
        return try h.results.boardJSON(track: track, scope: s, limit: Int(limit), session: session)
    }
}

@_cdecl("kk_account_ghost_json")
public func kkAccountGhostJSON(_ p: OpaquePointer?, _ track: UnsafePointer<CChar>?, _ playerId: Int64,
                               _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in
        guard let track = text(track) else { throw .refused(status: 400, code: "bad_request") }
        return try h.results.ghostJSON(track: track, player: playerId > 0 ? playerId : nil)
    }
}

@_cdecl("kk_account_wallet_json")
public func kkAccountWalletJSON(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in try h.store.walletJSON(try h.live()) }
}

@_cdecl("kk_account_catalog_json")
public func kkAccountCatalogJSON(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in try h.store.catalogJSON() }
}

@_cdecl("kk_account_inventory_json")
public func kkAccountInventoryJSON(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    jsonCall(p, buf, len) { (h) throws(AuthClientError) in try h.store.inventoryJSON(try h.live()) }
}

@_cdecl("kk_account_purchase")
public func kkAccountPurchase(_ p: OpaquePointer?, _ item: UnsafePointer<CChar>?, _ expectedPrice: Int64,
                              _ key: UnsafePointer<CChar>?) -> Int64 {
    var balance: Int64 = -1
    let rc = accountCall(p) { (h) throws(AuthClientError) in
        guard let item = text(item), expectedPrice > 0 else { throw .refused(status: 400, code: "bad_request") }
        balance = try h.store.purchase(try h.live(), item: item, expectedPrice: expectedPrice,
                                       idempotencyKey: text(key) ?? UUID().uuidString).balance
    }
    return rc == 0 ? balance : -1
}

/// What a `kk_ghost *` points at.
final class GhostHandle {
    var player: GhostPlayer
    init(player: GhostPlayer) { self.player = player }

    static func from(_ p: OpaquePointer?) -> GhostHandle? {
        guard let p else { return nil }
        return Unmanaged<GhostHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

@_cdecl("kk_ghost_create")
public func kkGhostCreate(_ json: UnsafePointer<CChar>?, _ length: Int) -> OpaquePointer? {
    setError("")
    struct Ghost: Decodable { var log: String; var slot: Int }
    guard let json, length > 0 else { setError("ghost_json is empty"); return nil }
    let bytes = UnsafeRawBufferPointer(start: json, count: length)
    guard let g = try? JSONDecoder().decode(Ghost.self, from: Data(bytes)) else { setError("ghost_json is not a ghost ({\"log\", \"slot\"})"); return nil }
    do {
        let h = GhostHandle(player: try GhostPlayer(log: g.log, slot: g.slot))
        return OpaquePointer(Unmanaged.passRetained(h).toOpaque())
    } catch {
        setError("the ghost's log cannot be replayed: \(error)")
        return nil
    }
}

@_cdecl("kk_ghost_step")
public func kkGhostStep(_ p: OpaquePointer?, _ x: UnsafeMutablePointer<Float>?, _ y: UnsafeMutablePointer<Float>?,
                        _ heading: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let h = GhostHandle.from(p) else { return -1 }
    guard let pose = h.player.step() else { return 0 }
    x?.pointee = Float(pose.x)
    y?.pointee = Float(pose.y)
    heading?.pointee = Float(pose.heading)
    return 1
}

@_cdecl("kk_ghost_tick")
public func kkGhostTick(_ p: OpaquePointer?) -> UInt32 { GhostHandle.from(p)?.player.state.tick ?? 0 }

@_cdecl("kk_ghost_ticks")
public func kkGhostTicks(_ p: OpaquePointer?) -> UInt32 { GhostHandle.from(p)?.player.log.ticks ?? 0 }

@_cdecl("kk_ghost_destroy")
public func kkGhostDestroy(_ p: OpaquePointer?) {
    guard let p else { return }
    Unmanaged<GhostHandle>.fromOpaque(UnsafeRawPointer(p)).release()
}
