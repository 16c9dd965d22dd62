import CKartKlashClient
import Foundation
import KKClientSDK

/// What a `kk_voice *` points at: the SDK's ``VoiceClient``.
final class VoiceHandle {
    let client: VoiceClient
    init(client: VoiceClient) { self.client = client }

    static func from(_ p: OpaquePointer?) -> VoiceHandle? {
        guard let p else { return nil }
        return Unmanaged<VoiceHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

@_cdecl("kk_voice_connect")
public func kkVoiceConnect(_ account: OpaquePointer?, _ url: UnsafePointer<CChar>?) -> OpaquePointer? {
    setError("")
    guard let a = AccountHandle.from(account) else { setError("account is NULL"); return nil }
    guard let url = text(url), url.hasPrefix("ws://") || url.hasPrefix("wss://") else { setError("voice_url must be a ws:// or wss:// URL"); return nil }
    let session: AuthSession
    do throws(AuthClientError) { session = try a.live() } catch { setError(error.message); return nil }
    let client = VoiceClient(url: url, accessToken: session.accessToken)
    client.connect()
    return OpaquePointer(Unmanaged.passRetained(VoiceHandle(client: client)).toOpaque())
}

@_cdecl("kk_voice_destroy")
public func kkVoiceDestroy(_ p: OpaquePointer?) {
    guard let p else { return }
    let h = Unmanaged<VoiceHandle>.fromOpaque(UnsafeRawPointer(p))
    h.takeUnretainedValue().client.close()
    h.release()
}

@_cdecl("kk_voice_poll")
public func kkVoicePoll(_ p: OpaquePointer?, _ callbacks: UnsafePointer<kk_voice_callbacks>?, _ user: UnsafeMutableRawPointer?,
                        _ timeoutMillis: Int32) -> Int32 {
    setError("")
    guard let h = VoiceHandle.from(p) else { setError("voice is NULL"); return -1 }
    let cb = callbacks?.pointee
    var n: Int32 = 0
    var wait = Int(max(0, timeoutMillis))
    while let e = h.client.next(timeoutMillis: wait) {
        wait = 0
        n += 1
        guard let cb else { continue }
        switch e {
        case .welcome(let player, let turn):
            let json = String(decoding: (try? JSONEncoder().encode(turn)) ?? Data("{}".utf8), as: UTF8.self)
            cb.on_welcome?(user, player, json)
        case .connect(let peer, let initiator): cb.on_connect?(user, peer, initiator ? 1 : 0)
        case .disconnect(let peer): cb.on_disconnect?(user, peer)
        case .audible(let speakers):
            let ids = speakers.map(\.player), gains = speakers.map(\.gain)
            ids.withUnsafeBufferPointer { i in gains.withUnsafeBufferPointer { g in cb.on_audible?(user, i.baseAddress, g.baseAddress, speakers.count) } }
        case .offer(let from, let sdp): cb.on_offer?(user, from, sdp)
        case .answer(let from, let sdp): cb.on_answer?(user, from, sdp)
        case .ice(let from, let candidate, let mid, let index):
            let i = index.flatMap { Int32(exactly: $0) } ?? -1
            if let mid { mid.withCString { m in cb.on_ice?(user, from, candidate, m, i) } } else {
                cb.on_ice?(user, from, candidate, nil, i)
            }
        case .bye(let from): cb.on_bye?(user, from)
        case .error(let code, let text): cb.on_error?(user, code, text)
        case .reconnecting(_, let reason): cb.on_connection?(user, 0, reason)
        case .closed(_, let reason): cb.on_connection?(user, 1, reason)
        }
    }
    return n
}

/// Sends a signalling message; 0, or -1 with kk_last_error().
private func voiceSend(_ p: OpaquePointer?, _ body: (VoiceClient) -> Void) -> Int32 {
    setError("")
    guard let h = VoiceHandle.from(p) else { setError("voice is NULL"); return -1 }
    body(h.client)
    return 0
}

@_cdecl("kk_voice_send_offer")
public func kkVoiceSendOffer(_ p: OpaquePointer?, _ to: Int64, _ sdp: UnsafePointer<CChar>?) -> Int32 {
    guard let sdp = text(sdp) else { setError("sdp is NULL"); return -1 }
    return voiceSend(p) { $0.sendOffer(to: to, sdp: sdp) }
}

@_cdecl("kk_voice_send_answer")
public func kkVoiceSendAnswer(_ p: OpaquePointer?, _ to: Int64, _ sdp: UnsafePointer<CChar>?) -> Int32 {
    guard let sdp = text(sdp) else { setError("sdp is NULL"); return -1 }
    return voiceSend(p) { $0.sendAnswer(to: to, sdp: sdp) }
}

@_cdecl("kk_voice_send_ice")
public func kkVoiceSendIce(_ p: OpaquePointer?, _ to: Int64, _ candidate: UnsafePointer<CChar>?, _ mid: UnsafePointer<CChar>?, _ index: Int32) -> Int32 {
    guard let candidate = text(candidate) else { setError("candidate is NULL"); return -1 }
    let m = text(mid)
    return voiceSend(p) { $0.sendIce(to: to, candidate: candidate, sdpMid: m, sdpMLineIndex: index < 0 ? nil : Int(index)) }
}

@_cdecl("kk_voice_send_bye")
public func kkVoiceSendBye(_ p: OpaquePointer?, _ to: Int64) -> Int32 { voiceSend(p) { $0.sendBye(to: to) } }
