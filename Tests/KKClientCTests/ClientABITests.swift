import CKartKlashClient
import Foundation
import Glibc
import KKClientC
import KKClientSDK
import KKToken
import Testing

/// The C ABI in process: every refusal of `kk_client_create` is a NULL with a reason in
/// `kk_last_error()`, a valid ticket gives a handle that reports its state, and a NULL handle
/// is harmless everywhere. (The whole C path, a C bot racing through a real stack, is
/// KKSystemTests' `cBotRacesThroughTheCABI`.)
@Suite struct ClientABITests {
    func lastError() -> String { String(cString: kk_last_error()) }

    func ticket(expiresIn seconds: UInt64 = 60) throws -> [CChar] {
        let issuer = try TokenIssuer(key: TokenKey.random())
        let token = try issuer.issue(playerId: 7, matchId: 9, now: UInt64(time(nil)), validSeconds: seconds,
                                     relays: ["127.0.0.1:9"])
        let json = try JSONEncoder().encode(MatchTicket(token: token, matchId: 9, track: "oval"))
        return Array(json).map { CChar(bitPattern: $0) }
    }

    @Test func refusalsAreNullWithAReason() throws {
        #expect(kkClientCreate(nil, 0, nil) == nil)
        #expect(lastError().contains("empty"))
        let garbage = Array("{not json".utf8).map { CChar(bitPattern: $0) }
        #expect(garbage.withUnsafeBufferPointer { kkClientCreate($0.baseAddress, $0.count, nil) } == nil)
        #expect(!lastError().isEmpty)
        let json = try ticket()
        var cfg = kk_client_config()
        cfg.struct_size = UInt32(MemoryLayout<kk_client_config>.size)
        cfg.send_hz = 45
        #expect(json.withUnsafeBufferPointer { kkClientCreate($0.baseAddress, $0.count, &cfg) } == nil)
        #expect(lastError().contains("send_hz"))
        cfg.send_hz = 30
        cfg.struct_size = 4
        #expect(json.withUnsafeBufferPointer { kkClientCreate($0.baseAddress, $0.count, &cfg) } == nil)
        #expect(lastError().contains("struct_size"))
    }

    @Test func aValidTicketGivesAHandleThatReportsItsState() throws {
        let json = try ticket()
        let h = try #require(json.withUnsafeBufferPointer { kkClientCreate($0.baseAddress, $0.count, nil) })
        #expect(lastError().isEmpty)
        _ = kkClientPoll(h)
        #expect(kkClientState(h) != Int32(KK_STATE_ENDED.rawValue), "connecting, not ended")
        var text = [CChar](repeating: 0, count: 64)
        #expect(kkClientStatusText(h, &text, text.count) > 0)
        kkClientSetInput(h, 1, 500)  // steer is clamped, nothing traps
        kkClientQuit(h)
        kkClientDestroy(h)
        // A NULL handle everywhere: harmless answers.
        #expect(kkClientState(nil) == Int32(KK_STATE_ENDED.rawValue))
        #expect(kkClientEndReason(nil) == Int32(KK_END_NONE.rawValue))
        #expect(kkClientStatusText(nil, &text, text.count) == 0)
        kkClientDestroy(nil)
    }
}
