import KKBytes

/// The complete authoritative state of one match: every kart, the race, the tick.
///
/// Its canonical binary form (`serialize(into:)`, documented in docs/GAMEPLAY.md) is the
/// single source of truth for hashing, snapshots and delta baselines.
public struct MatchState: Equatable, Sendable {
    /// Canonical-form version written first.
    public static let version: UInt8 = 1
    /// Number of simulation steps taken since the match was created.
    public var tick: UInt32
    public var race: RaceState
    /// One entry per player slot.
    public var karts: [KartState]

    public init(tick: UInt32, race: RaceState, karts: [KartState]) {
        self.tick = tick
        self.race = race
        self.karts = karts
    }

    /// Number of kart slots.
    @inlinable public var playerCount: Int { karts.count }

    /// 64-bit FNV-1a over the canonical form. Computed without allocating.
    public var hash: UInt64 {
        var sink = FNV1a64()
        write(to: &sink)
        return sink.value
    }

    /// Size of the canonical form in bytes.
    public var canonicalSize: Int { 23 + karts.count + karts.count * KartState.canonicalSize }

    /// Appends the canonical little-endian form to `bytes`.
    public func serialize(into bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + canonicalSize)
        var sink = ArraySink()
        swap(&bytes, &sink.bytes)  // one reference to the buffer at any time: appends never copy
        write(to: &sink)
        swap(&bytes, &sink.bytes)
    }

    /// A placeholder with no karts (never a valid frame): a parse buffer to deserialize into.
    public static var empty: MatchState {
        MatchState(tick: 0, race: RaceState(playerCount: 0, totalLaps: 0, countdownTicks: 0, rng: 0), karts: [])
    }

    /// Parses a canonical form; the whole array must be exactly one state.
    public init(deserializing bytes: [UInt8]) throws(PhysicsError) {
        self = .empty
        try deserialize(from: bytes)
    }

    /// Parses a canonical form into this state, reusing its arrays' storage (the relay's
    /// per-frame path: no allocation in steady state). On error the state is unspecified, so
    /// parse into a scratch state and keep it only on success.
    public mutating func deserialize(from bytes: [UInt8]) throws(PhysicsError) {
        var failure: PhysicsError?
        bytes.withUnsafeBytes { raw in
            var reader = ByteReader<PhysicsError>(raw)
            do throws(PhysicsError) {
                try read(from: &reader)
                if reader.remaining != 0 { throw .trailingBytes(reader.remaining) }
            } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// Streaming 64-bit FNV-1a hasher, usable as a `ByteSink`.
public struct FNV1a64: ByteSink, Sendable {
    public var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    @inlinable public mutating func put(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    /// Hash of a byte array.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h = FNV1a64()
        for b in bytes { h.put(b) }
        return h.value
    }
}
