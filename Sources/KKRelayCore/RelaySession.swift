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
    /// The client's trace from its Hello (logged with the join, passed to the shard).
    public var trace: TraceContext?
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
    /// When (unix seconds) the client gets a fresh resume ticket (``RelayCore/ticketRenewSeconds``).
    public var ticketRenewAtSeconds: UInt64 = .max
    /// Resumed, no input seen yet: the first input packet's oldest input is where the reorder
    /// buffer starts (older unapplied inputs are beyond the client's redundancy: gone).
    public var resumeGapOpen = false
    /// When the relay got each of the last ``arrivalSlots`` inputs (by `seq % arrivalSlots`):
    /// what input -> frame latency is measured from. Allocated once per session.
    public var arrivalSeq = [UInt32](repeating: 0, count: RelaySession.arrivalSlots)
    public var arrivalMillis = [UInt64](repeating: 0, count: RelaySession.arrivalSlots)
    public static let arrivalSlots = 64
    /// The last ``historySlots`` inputs forwarded to the shard, by `seq % historySlots`: when the
    /// match moves to a shard that adopted it from a snapshot, the inputs the dead shard applied
    /// after that snapshot are forwarded again (the client holds them acknowledged and would not
    /// resend them). Allocated once per session; about 2 s of inputs at 60 Hz.
    public var historySeq = [UInt32](repeating: 0, count: RelaySession.historySlots)
    public var historyTick = [UInt32](repeating: 0, count: RelaySession.historySlots)
    public var historyInput = [UInt16](repeating: 0, count: RelaySession.historySlots)
    /// Newest input forwarded (nil: none yet on this relay).
    public var newestForwarded: UInt32?
    public static let historySlots = 128

    /// Notes an input forwarded to the shard.
    @inline(__always) public func forwarded(seq: UInt32, tick: UInt32, input: InputSample) {
        let i = Int(seq % UInt32(Self.historySlots))
        historySeq[i] = seq
        historyTick[i] = tick
        historyInput[i] = input.raw
        newestForwarded = seq
    }

    /// The forwarded inputs after `seq` up to the newest, oldest first; nil when the history
    /// does not reach back to `seq + 1` (nothing forwarded, or too long ago).
    public func forwardedInputs(after seq: UInt32, _ body: (UInt32, UInt32, InputSample) -> Void) -> Int? {
        guard let newest = newestForwarded else { return nil }
        let n = Int(Int32(bitPattern: newest &- seq))
        guard n > 0 else { return 0 }
        guard n <= Self.historySlots else { return nil }
        var s = seq &+ 1
        for _ in 0..<n {
            let i = Int(s % UInt32(Self.historySlots))
            guard historySeq[i] == s else { return nil }
            s &+= 1
        }
        s = seq &+ 1
        for _ in 0..<n {
            let i = Int(s % UInt32(Self.historySlots))
            body(s, historyTick[i], InputSample(raw: historyInput[i]))
            s &+= 1
        }
        return n
    }

    /// Notes that input `seq` arrived now.
    @inline(__always) public func inputArrived(_ seq: UInt32, nowMillis: UInt64) {
        let i = Int(seq % UInt32(Self.arrivalSlots))
        arrivalSeq[i] = seq
        arrivalMillis[i] = nowMillis
    }

    /// The shard applied inputs after `from` up to `to`: each one's latency from its arrival
    /// (at most the last ``arrivalSlots``; inputs that arrived before a resume are not known).
    @inline(__always) public func inputsApplied(after from: UInt32, upTo to: UInt32, nowMillis: UInt64, into h: inout LatencyBuckets) {
        let n = min(to &- from, UInt32(Self.arrivalSlots))
        var seq = to &- n &+ 1
        for _ in 0..<n {
            let i = Int(seq % UInt32(Self.arrivalSlots))
            if arrivalSeq[i] == seq, arrivalMillis[i] != 0, nowMillis >= arrivalMillis[i] {
                h.record(millis: nowMillis - arrivalMillis[i])
                arrivalMillis[i] = 0
            }
            seq &+= 1
        }
    }

    public init(id: Int, token: PrivateToken, nowMillis: UInt64, bytesPerSecond: Double) {
        self.id = id
        self.token = token
        lastHeardMillis = nowMillis
        bandwidth = TokenBucket(ratePerSecond: bytesPerSecond, burst: bytesPerSecond / 2, nowMillis: nowMillis)
    }

    public var playerId: UInt64 { token.playerId }
    public var matchId: UInt64 { token.matchId }
}
