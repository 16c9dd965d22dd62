import Foundation
import KKVoiceCore

/// Proximity voice signalling from a game: the socket to the voice service
/// (`ws://host:port/v1/voice`). The service says whom to open a peer connection to
/// (``Event/connect(peer:initiator:)``; the initiator creates the offer), whom to close, whom
/// the player hears at which gain, and relays the peers' SDP and ICE; the game's own WebRTC stack
/// carries the media through the TURN server of ``turn``. Read with ``next(timeoutMillis:)``
/// (blocking; poll with 0), or ``poll(_:)`` for callbacks from the game's loop.
public final class VoiceClient: Sendable {
    /// What the service says, decoded for the game.
    public enum Event: Sendable, Equatable {
        /// Connected (again): the player's id, TURN credentials to use, the match if known.
        case welcome(player: Int64, turn: TurnCredentials)
        /// Open a peer connection to `peer`; `initiator`: this side makes the offer.
        case connect(peer: Int64, initiator: Bool)
        /// Close the peer connection to `peer` (out of range, left, disconnected).
        case disconnect(peer: Int64)
        /// Whom the player hears now and at which gain (0-1); others are silent.
        case audible([Speaker])
        case offer(from: Int64, sdp: String)
        case answer(from: Int64, sdp: String)
        case ice(from: Int64, candidate: String, sdpMid: String?, sdpMLineIndex: Int?)
        case bye(from: Int64)
        /// A refusal of something this client sent (`not_in_range`, `rate_limited`...).
        case error(code: String, text: String)
        case reconnecting(attempt: Int, reason: String)
        case closed(code: Int, reason: String)
    }

    let socket: JSONWebSocketClient<VoiceMessage>

    public init(url: String, accessToken: String, autoReconnect: Bool = true) {
        socket = JSONWebSocketClient(urls: [url], accessToken: accessToken, autoReconnect: autoReconnect, label: "kk-voice-client")
    }

    public var isConnected: Bool { socket.isConnected }
    public func connect() { socket.connect() }
    public func close() { socket.close() }

    public func sendOffer(to peer: Int64, sdp: String) { send(.offer(to: peer, sdp: sdp)) }
    public func sendAnswer(to peer: Int64, sdp: String) { send(.answer(to: peer, sdp: sdp)) }
    public func sendIce(to peer: Int64, candidate: String, sdpMid: String?, sdpMLineIndex: Int?) {
        send(.ice(to: peer, candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: sdpMLineIndex))
    }
    public func sendBye(to peer: Int64) { send(.bye(to: peer)) }
    public func send(_ m: VoiceMessage) { socket.sendRaw(m.encoded()) }
    /// Raw text (tests of the service's bad-input handling).
    public func sendRaw(_ text: String) { socket.sendRaw(text) }

    /// The next event, waiting at most `timeoutMillis` (0: only what is already there). Messages
    /// the service sends that this client does not know are skipped.
    public func next(timeoutMillis: Int) -> Event? {
        let deadline = Date().addingTimeInterval(Double(timeoutMillis) / 1000)
        while true {
            let left = max(0, Int(deadline.timeIntervalSinceNow * 1000))
            guard let e = socket.next(timeoutMillis: left) else { return nil }
            switch e {
            case .reconnecting(let a, let r): return .reconnecting(attempt: a, reason: r)
            case .closed(let c, let r): return .closed(code: c, reason: r)
            case .message(let m): if let ev = Self.event(m) { return ev }  // else the next one (pong...)
            }
        }
    }

    /// Hands every waiting event to `handler` (the game loop's per-frame call); how many.
    @discardableResult
    public func poll(_ handler: (Event) -> Void) -> Int {
        var n = 0
        while let e = next(timeoutMillis: 0) { handler(e); n += 1 }
        return n
    }

    static func event(_ m: VoiceMessage) -> Event? {
        switch m.type {
        case "welcome": guard let p = m.player, let t = m.turn else { return nil }; return .welcome(player: p, turn: t)
        case "connect": guard let p = m.peer else { return nil }; return .connect(peer: p, initiator: m.initiator ?? false)
        case "disconnect": guard let p = m.peer else { return nil }; return .disconnect(peer: p)
        case "audible": return .audible(m.speakers ?? [])
        case "offer": guard let f = m.from, let s = m.sdp else { return nil }; return .offer(from: f, sdp: s)
        case "answer": guard let f = m.from, let s = m.sdp else { return nil }; return .answer(from: f, sdp: s)
        case "ice": guard let f = m.from, let c = m.candidate else { return nil }; return .ice(from: f, candidate: c, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex)
        case "bye": guard let f = m.from else { return nil }; return .bye(from: f)
        case "error": return .error(code: m.code ?? "error", text: m.text ?? "")
        default: return nil
        }
    }
}
