import Foundation
import KKVoiceCore
import Testing

/// The signalling socket's messages: shapes on the wire, client validation, error codes.
@Suite struct VoiceMessageTests {
    func frame(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func encodesWithSortedKeysAndOnlyTheFieldsItHas() throws {
        #expect(VoiceMessage.connect(peer: 7, initiator: true).encoded() == #"{"initiator":true,"peer":7,"type":"connect"}"#)
        #expect(VoiceMessage.audible([Speaker(player: 3, gain: 0.5)]).encoded() == #"{"speakers":[{"gain":0.5,"player":3}],"type":"audible"}"#)
        #expect(VoiceMessage.error(.notInRange(9)).encoded().hasPrefix(#"{"code":"not_in_range","text":"#))
        #expect(VoiceMessage.pong.encoded() == #"{"type":"pong"}"#)
        // SDP keeps its slashes.
        #expect(VoiceMessage.offer(to: 2, sdp: "m=audio 9 UDP/TLS/RTP/SAVPF 111").encoded().contains("UDP/TLS/RTP/SAVPF"))
        let turn = TurnCredentials(urls: ["turn:t"], username: "10:1", credential: "c", ttl: 10)
        let welcome = VoiceMessage.welcome(player: 1, turn: turn, match: 77)
        #expect(welcome.encoded() == welcome.encoded())
        #expect(try VoiceMessage.decode(Array(welcome.encoded().utf8)) == welcome)
    }

    @Test func decodesClientFramesAndRelaysThemWithTheSender() throws {
        let m = try VoiceMessage.decode(frame(#"{"type":"ice","to":5,"candidate":"candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host","sdpMid":"0","sdpMLineIndex":0}"#))
        #expect(try VoiceMessage.validateClient(m) == .ice)
        let r = m.relayed(from: 3)
        #expect(r.from == 3 && r.to == nil && r.type == "ice" && r.candidate == m.candidate && r.sdpMid == "0" && r.sdpMLineIndex == 0)
        #expect(try VoiceMessage.validateClient(VoiceMessage.ping) == .ping)
        #expect(try VoiceMessage.validateClient(.bye(to: 4)) == .bye)
        #expect(try VoiceMessage.validateClient(.answer(to: 4, sdp: "v=0")) == .answer)
        // End of candidates: empty, no mid needed.
        #expect(try VoiceMessage.validateClient(.ice(to: 4, candidate: "", sdpMid: nil, sdpMLineIndex: nil)) == .ice)
    }

    @Test func refusesMalformedUnknownAndOversizedMessages() {
        #expect(throws: VoiceError.badMessage("not a voice message")) { try VoiceMessage.decode(frame("not json")) }
        #expect(throws: VoiceError.badMessage("not a voice message")) { try VoiceMessage.decode(frame(#"{"to":1}"#)) }
        #expect(throws: VoiceError.tooLarge("frame")) { try VoiceMessage.decode([UInt8](repeating: 32, count: 20 * 1024 + 1)) }
        #expect(throws: VoiceError.unknownType("shout")) { try VoiceMessage.validateClient(VoiceMessage(type: "shout")) }
        // Server-only types are not for clients to send.
        #expect(throws: VoiceError.unknownType("connect")) { try VoiceMessage.validateClient(.connect(peer: 1, initiator: true)) }
        #expect(throws: VoiceError.badMessage("to is required")) { try VoiceMessage.validateClient(VoiceMessage(type: "offer", sdp: "v=0")) }
        #expect(throws: VoiceError.badMessage("to is required")) { try VoiceMessage.validateClient(VoiceMessage(type: "bye")) }
        #expect(throws: VoiceError.badMessage("sdp is required")) { try VoiceMessage.validateClient(VoiceMessage(type: "answer", to: 1)) }
        #expect(throws: VoiceError.badMessage("candidate is required")) { try VoiceMessage.validateClient(VoiceMessage(type: "ice", to: 1)) }
        #expect(throws: VoiceError.badMessage("sdpMid or sdpMLineIndex is required")) {
            try VoiceMessage.validateClient(.ice(to: 1, candidate: "candidate:1", sdpMid: nil, sdpMLineIndex: nil))
        }
        #expect(throws: VoiceError.badMessage("sdpMLineIndex must be 0-65535")) {
            try VoiceMessage.validateClient(.ice(to: 1, candidate: "candidate:1", sdpMid: nil, sdpMLineIndex: -1))
        }
        #expect(throws: VoiceError.badMessage("sdpMLineIndex must be 0-65535")) {
            try VoiceMessage.validateClient(.ice(to: 1, candidate: "candidate:1", sdpMid: nil, sdpMLineIndex: Int(Int32.max) + 1))
        }
        // Relayed: only the signalling fields, with the sender.
        var sneaky = VoiceMessage.offer(to: 2, sdp: "v=0")
        sneaky.speakers = [Speaker(player: 9, gain: 1)]
        sneaky.code = "x"
        #expect(sneaky.relayed(from: 1) == VoiceMessage(type: "offer", from: 1, sdp: "v=0"))
        let sdp = String(repeating: "a", count: 16 * 1024)
        #expect(throws: Never.self) { try VoiceMessage.validateClient(.offer(to: 1, sdp: sdp)) }
        #expect(throws: VoiceError.tooLarge("sdp")) { try VoiceMessage.validateClient(.offer(to: 1, sdp: sdp + "a")) }
        let candidate = String(repeating: "c", count: 1025)
        #expect(throws: VoiceError.tooLarge("candidate")) { try VoiceMessage.validateClient(.ice(to: 1, candidate: candidate, sdpMid: "0", sdpMLineIndex: 0)) }
        let small = VoiceMessage.Limits(maxSDPBytes: 3)
        #expect(throws: VoiceError.tooLarge("sdp")) { try VoiceMessage.validateClient(.offer(to: 1, sdp: "v=0\r\n"), limits: small) }
    }

    @Test func errorCodesAreStable() {
        let codes = [VoiceError.badMessage("x"), .unknownType("x"), .tooLarge("x"), .notInRange(1), .notInMatch, .rateLimited, .badConfig("x")]
            .map(\.code)
        #expect(codes == ["bad_message", "unknown_type", "too_large", "not_in_range", "not_in_match", "rate_limited", "bad_config"])
        #expect(VoiceMessage.error(.rateLimited) == VoiceMessage(type: "error", code: "rate_limited", text: "slow down"))
    }
}
