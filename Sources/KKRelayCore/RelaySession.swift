import KKOrdering
import KKToken
import KKWire

/// One authenticated client on this relay, after its DTLS handshake. Everything here can be
/// rebuilt from the client's token, its Hello and the shard: it is a cache, not state that
/// matters if the relay dies.
///
/// A class on purpose: the per-packet updates (replay window, reorder buffer, ack) mutate it in
/// place through a reference. As a ~2.5 KB struct in a Dictionary, every `sessions[id]!.x = ...`
/// went through a `_modify` coroutine whose frame was heap-allocated: 6 mallocs per packet.
public final class RelaySession {
    public enum Phase: Sendable, Equatable {
        /// Handshake done, waiting for the client's Hello.
        case awaitingHello
        /// JoinRequest sent to the shard, waiting for its reply (or for the match's route).
        case joining
        /// Inputs flow up, frames flow down.
        case playing
    }

    public let id: Int
    public let token: PrivateToken
    public var phase: Phase = .awaitingHello
    public var mode: HelloPacket.Mode = .join
    public var replay = ReplayWindow()
    public var reorder = InputReorderBuffer(startSeq: 0)
    /// Newest frame tick the client acknowledged (0: none yet: full frames).
    public var ackedFrameTick: UInt32 = 0
    /// Newest input sequence the shard applied for this player.
    public var lastAppliedSeq: UInt32 = 0
    public var nextInputSeqFromHello: UInt32 = 0
    public var slot: UInt8 = 0
    public var tickRate: UInt8 = 60
    public var bandwidth: TokenBucket
    public var lastHeardMillis: UInt64
    public var framesSent = 0

    public init(id: Int, token: PrivateToken, nowMillis: UInt64, bytesPerSecond: Double) {
        self.id = id
        self.token = token
        lastHeardMillis = nowMillis
        bandwidth = TokenBucket(ratePerSecond: bytesPerSecond, burst: bytesPerSecond / 2, nowMillis: nowMillis)
    }

    public var playerId: UInt64 { token.playerId }
    public var matchId: UInt64 { token.matchId }
}
