import Foundation

/// The voice signalling socket's protocol: one JSON text frame per message, both ways. `type`
/// says which of the optional fields a message has. Media never passes through the server: it
/// only tells players whom to open a WebRTC peer connection to (and how loud to play them), and
/// relays the offers, answers and ICE candidates of linked pairs.
///
/// Client to server:
/// - `offer` / `answer` (`to`, `sdp`): a session description for the peer `to`.
/// - `ice` (`to`, `candidate`, `sdpMid`?, `sdpMLineIndex`?): an ICE candidate for `to` (an
///   empty `candidate` is the end of candidates).
/// - `bye` (`to`): the sender closed its connection to `to`.
/// - `ping`.
///
/// Server to client:
/// - `welcome` (`player`, `turn`, `match`?): the socket is authenticated as `player`; `turn` are
///   the TURN credentials for its peer connections.
/// - `audible` (`speakers`): the listener's whole audible set, a gain per speaker.
/// - `connect` (`peer`, `initiator`): open a peer connection to `peer`; the `initiator` (the lower
///   player id of the pair) makes the offer.
/// - `disconnect` (`peer`): close it.
/// - `offer` / `answer` / `ice` (`from`, …): relayed from `from`.
/// - `error` (`code`, `text`): a ``VoiceError``; `pong`.
public struct VoiceMessage: Codable, Sendable, Equatable {
    /// The known values of `type`.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case offer, answer, ice, bye, ping
        case welcome, audible, connect, disconnect, error, pong

        /// Whether clients may send it (`offer`, `answer`, `ice`, `bye`, `ping`).
        public var fromClient: Bool {
            switch self {
            case .offer, .answer, .ice, .bye, .ping: true
            case .welcome, .audible, .connect, .disconnect, .error, .pong: false
            }
        }
    }

    public var type: String
    public var to: Int64?
    public var from: Int64?
    public var sdp: String?
    public var candidate: String?
    public var sdpMid: String?
    public var sdpMLineIndex: Int?
    public var player: Int64?
    public var turn: TurnCredentials?
    public var match: UInt64?
    public var speakers: [Speaker]?
    public var peer: Int64?
    public var initiator: Bool?
    public var code: String?
    public var text: String?

    public init(type: String, to: Int64? = nil, from: Int64? = nil, sdp: String? = nil, candidate: String? = nil, sdpMid: String? = nil,
                sdpMLineIndex: Int? = nil, player: Int64? = nil, turn: TurnCredentials? = nil, match: UInt64? = nil,
                speakers: [Speaker]? = nil, peer: Int64? = nil, initiator: Bool? = nil, code: String? = nil, text: String? = nil) {
        self.type = type; self.to = to; self.from = from; self.sdp = sdp; self.candidate = candidate; self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex; self.player = player; self.turn = turn; self.match = match; self.speakers = speakers
        self.peer = peer; self.initiator = initiator; self.code = code; self.text = text
    }

    /// `type` as a ``Kind`` (nil: unknown).
    public var kind: Kind? { Kind(rawValue: type) }
}

// MARK: - Constructors

extension VoiceMessage {
    public static func offer(to: Int64, sdp: String) -> VoiceMessage { VoiceMessage(type: "offer", to: to, sdp: sdp) }
    public static func answer(to: Int64, sdp: String) -> VoiceMessage { VoiceMessage(type: "answer", to: to, sdp: sdp) }
    public static func ice(to: Int64, candidate: String, sdpMid: String?, sdpMLineIndex: Int?) -> VoiceMessage {
        VoiceMessage(type: "ice", to: to, candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: sdpMLineIndex)
    }
    public static func bye(to: Int64) -> VoiceMessage { VoiceMessage(type: "bye", to: to) }
    public static let ping = VoiceMessage(type: "ping")

    public static func welcome(player: Int64, turn: TurnCredentials, match: UInt64?) -> VoiceMessage {
        VoiceMessage(type: "welcome", player: player, turn: turn, match: match)
    }
    public static func audible(_ speakers: [Speaker]) -> VoiceMessage { VoiceMessage(type: "audible", speakers: speakers) }
    public static func connect(peer: Int64, initiator: Bool) -> VoiceMessage { VoiceMessage(type: "connect", peer: peer, initiator: initiator) }
    public static func disconnect(peer: Int64) -> VoiceMessage { VoiceMessage(type: "disconnect", peer: peer) }
    public static func error(_ e: VoiceError) -> VoiceMessage { VoiceMessage(type: "error", code: e.code, text: e.description) }
    public static let pong = VoiceMessage(type: "pong")

    /// A client's `offer`, `answer`, `ice` or `bye` as the server relays it to its addressee:
    /// only the signalling fields (type, sdp, candidate, sdpMid, sdpMLineIndex), `from` set to
    /// the (authenticated) sender; anything else the client put in is dropped.
    public func relayed(from sender: Int64) -> VoiceMessage {
        VoiceMessage(type: type, from: sender, sdp: sdp, candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: sdpMLineIndex)
    }
}

// MARK: - Wire

extension VoiceMessage {
    /// What a client message may carry.
    public struct Limits: Sendable, Equatable {
        /// An `offer` / `answer`'s `sdp`, in UTF-8 bytes.
        public var maxSDPBytes: Int
        /// An `ice`'s `candidate` (and `sdpMid`), in UTF-8 bytes.
        public var maxCandidateBytes: Int
        /// A whole frame before decoding, in bytes (an SDP at its limit plus room for the rest).
        public var maxFrameBytes: Int

        public init(maxSDPBytes: Int = 16 * 1024, maxCandidateBytes: Int = 1024, maxFrameBytes: Int = 20 * 1024) {
            self.maxSDPBytes = maxSDPBytes; self.maxCandidateBytes = maxCandidateBytes; self.maxFrameBytes = maxFrameBytes
        }
    }

    /// One frame, decoded: ``VoiceError/tooLarge(_:)`` over `limits.maxFrameBytes`,
    /// ``VoiceError/badMessage(_:)`` when it is not a JSON object of this shape. Check client
    /// messages with ``validateClient(_:limits:)`` next.
    public static func decode(_ frame: some Collection<UInt8>, limits: Limits = Limits()) throws(VoiceError) -> VoiceMessage {
        guard frame.count <= limits.maxFrameBytes else { throw VoiceError.tooLarge("frame") }
        do {
            return try JSONDecoder().decode(VoiceMessage.self, from: Data(frame))
        } catch {
            throw VoiceError.badMessage("not a voice message")
        }
    }

    /// The frame's text: JSON with sorted keys (the same message always encodes to the same
    /// bytes), slashes unescaped (SDP is full of them). A message that cannot be JSON (a
    /// non-finite gain) encodes as the `error` message for ``VoiceError/badMessage(_:)``.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(self) { return String(decoding: data, as: UTF8.self) }
        return #"{"code":"bad_message","text":"unencodable message","type":"error"}"#
    }

    /// Checks a message from a client: a type clients may send, `to` on everything addressed,
    /// `sdp` / `candidate` present and within `limits`. Says nothing about whether `to` may be
    /// reached (``ProximityTracker/authorize(from:to:)`` does). Returns the message's kind.
    @discardableResult
    public static func validateClient(_ m: VoiceMessage, limits: Limits = Limits()) throws(VoiceError) -> Kind {
        guard let kind = m.kind, kind.fromClient else { throw VoiceError.unknownType(String(m.type.prefix(32))) }
        switch kind {
        case .offer, .answer:
            guard m.to != nil else { throw VoiceError.badMessage("to is required") }
            guard let sdp = m.sdp, !sdp.isEmpty else { throw VoiceError.badMessage("sdp is required") }
            guard sdp.utf8.count <= limits.maxSDPBytes else { throw VoiceError.tooLarge("sdp") }
        case .ice:
            guard m.to != nil else { throw VoiceError.badMessage("to is required") }
            guard let candidate = m.candidate else { throw VoiceError.badMessage("candidate is required") }
            guard candidate.utf8.count <= limits.maxCandidateBytes else { throw VoiceError.tooLarge("candidate") }
            if let mid = m.sdpMid, mid.utf8.count > limits.maxCandidateBytes { throw VoiceError.tooLarge("sdpMid") }
            if let index = m.sdpMLineIndex, !(0...65_535).contains(index) { throw VoiceError.badMessage("sdpMLineIndex must be 0-65535") }
            // WebRTC's addIceCandidate refuses a candidate with neither (end of candidates aside).
            if !candidate.isEmpty, m.sdpMid == nil, m.sdpMLineIndex == nil {
                throw VoiceError.badMessage("sdpMid or sdpMLineIndex is required")
            }
        case .bye:
            guard m.to != nil else { throw VoiceError.badMessage("to is required") }
        case .ping:
            break
        case .welcome, .audible, .connect, .disconnect, .error, .pong:
            throw VoiceError.unknownType(m.type)
        }
        return kind
    }
}
