import CKartKlashClient
import Foundation
import KKClientSDK
import KKLobbyCore

/// What a `kk_lobby *` points at: the SDK's ``LobbyClient`` (thread-safe; its socket runs in the
/// background).
final class LobbyHandle {
    let client: LobbyClient
    init(client: LobbyClient) { self.client = client }

    static func from(_ p: OpaquePointer?) -> LobbyHandle? {
        guard let p else { return nil }
        return Unmanaged<LobbyHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}


/// Sends `command`; 0, or -1 with kk_last_error() for a NULL handle.
private func lobbySend(_ p: OpaquePointer?, _ command: LobbyCommand) -> Int32 {
    setError("")
    guard let h = LobbyHandle.from(p) else { setError("lobby is NULL"); return -1 }
    h.client.send(command)
    return 0
}

@_cdecl("kk_lobby_connect")
public func kkLobbyConnect(_ account: OpaquePointer?, _ url: UnsafePointer<CChar>?) -> OpaquePointer? {
    setError("")
    guard let a = AccountHandle.from(account) else { setError("account is NULL"); return nil }
    guard let url = text(url), url.hasPrefix("ws://") || url.hasPrefix("wss://") else {
        setError("lobby_url must be a ws:// or wss:// URL"); return nil
    }
    let session: AuthSession
    do throws(AuthClientError) { session = try a.live() } catch { setError(error.message); return nil }
    let client = LobbyClient(url: url, accessToken: session.accessToken)
    client.connect()
    return OpaquePointer(Unmanaged.passRetained(LobbyHandle(client: client)).toOpaque())
}

@_cdecl("kk_lobby_destroy")
public func kkLobbyDestroy(_ p: OpaquePointer?) {
    guard let p else { return }
    let h = Unmanaged<LobbyHandle>.fromOpaque(UnsafeRawPointer(p))
    h.takeUnretainedValue().client.close()
    h.release()
}

@_cdecl("kk_lobby_send_json")
public func kkLobbySendJSON(_ p: OpaquePointer?, _ json: UnsafePointer<CChar>?) -> Int32 {
    setError("")
    guard let h = LobbyHandle.from(p) else { setError("lobby is NULL"); return -1 }
    guard let text = text(json), (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
        setError("the command must be a JSON object"); return -1
    }
    h.client.sendRaw(text)
    return 0
}

@_cdecl("kk_lobby_create")
public func kkLobbyCreate(_ p: OpaquePointer?, _ isPublic: Int32) -> Int32 { lobbySend(p, LobbyCommand(op: .create, isPublic: isPublic != 0)) }

@_cdecl("kk_lobby_join")
public func kkLobbyJoin(_ p: OpaquePointer?, _ code: UnsafePointer<CChar>?) -> Int32 {
    guard let code = text(code) else { setError("code is NULL"); return -1 }
    return lobbySend(p, LobbyCommand(op: .join, code: code))
}

@_cdecl("kk_lobby_quick_join")
public func kkLobbyQuickJoin(_ p: OpaquePointer?) -> Int32 { lobbySend(p, LobbyCommand(op: .quickJoin)) }

@_cdecl("kk_lobby_leave")
public func kkLobbyLeave(_ p: OpaquePointer?) -> Int32 { lobbySend(p, LobbyCommand(op: .leave)) }

@_cdecl("kk_lobby_ready")
public func kkLobbyReady(_ p: OpaquePointer?, _ ready: Int32) -> Int32 { lobbySend(p, LobbyCommand(op: .ready, ready: ready != 0)) }

@_cdecl("kk_lobby_vote")
public func kkLobbyVote(_ p: OpaquePointer?, _ track: UnsafePointer<CChar>?) -> Int32 {
    guard let track = text(track) else { setError("track is NULL"); return -1 }
    return lobbySend(p, LobbyCommand(op: .vote, track: track))
}

@_cdecl("kk_lobby_equip")
public func kkLobbyEquip(_ p: OpaquePointer?, _ item: UnsafePointer<CChar>?) -> Int32 {
    guard let item = text(item) else { setError("item is NULL"); return -1 }
    return lobbySend(p, LobbyCommand(op: .equip, item: item))
}

@_cdecl("kk_lobby_chat")
public func kkLobbyChat(_ p: OpaquePointer?, _ message: UnsafePointer<CChar>?) -> Int32 {
    guard let line = text(message) else { setError("text is NULL"); return -1 }
    return lobbySend(p, LobbyCommand(op: .chat, text: line))
}

@_cdecl("kk_lobby_kick")
public func kkLobbyKick(_ p: OpaquePointer?, _ account: Int64) -> Int32 { lobbySend(p, LobbyCommand(op: .kick, account: account)) }

@_cdecl("kk_lobby_queue")
public func kkLobbyQueue(_ p: OpaquePointer?, _ pings: UnsafePointer<CChar>?) -> Int32 {
    guard let text = text(pings), let parsed = try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8)) else {
        setError("pings_json must be a JSON object of region -> milliseconds"); return -1
    }
    return lobbySend(p, LobbyCommand(op: .queue, pings: parsed))
}

@_cdecl("kk_lobby_cancel_queue")
public func kkLobbyCancelQueue(_ p: OpaquePointer?) -> Int32 { lobbySend(p, LobbyCommand(op: .cancelQueue)) }

/// The handle's own events as JSON objects beside the lobby's messages.
private struct LocalEvent: Encodable { var type: String; var attempt: Int?; var code: Int?; var reason: String }

@_cdecl("kk_lobby_poll")
public func kkLobbyPoll(_ p: OpaquePointer?, _ timeoutMillis: Int32, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    setError("")
    guard let h = LobbyHandle.from(p) else { setError("lobby is NULL"); return 0 }
    guard let e = h.client.next(timeoutMillis: Int(max(0, timeoutMillis))) else { return 0 }
    let data: Data?
    switch e {
    case .message(let m): data = try? JSONEncoder().encode(m)
    case .reconnecting(let attempt, let reason): data = try? JSONEncoder().encode(LocalEvent(type: "reconnecting", attempt: attempt, reason: reason))
    case .closed(let code, let reason): data = try? JSONEncoder().encode(LocalEvent(type: "closed", code: code, reason: reason))
    }
    return copyOut(Array(data ?? Data("{}".utf8)), buf, len)
}

@_cdecl("kk_lobby_match_ticket")
public func kkLobbyMatchTicket(_ json: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    setError("")
    guard let text = text(json), let m = try? JSONDecoder().decode(LobbyMessage.self, from: Data(text.utf8)),
          m.type == "match", let a = m.match else {
        setError("not a match event"); return 0
    }
    guard let data = try? JSONEncoder().encode(MatchTicket(token: a.token, matchId: a.matchId, track: a.track)) else {
        setError("ticket not encodable"); return 0
    }
    return copyOut(Array(data), buf, len)
}
