/// The last snapshots the console built, by number: `GET /v1/console/status?seq=N` answers one
/// of them, so a page rendered from snapshot N can be checked against the same JSON later.
public struct ConsoleHistory: Sendable {
    /// Snapshots kept (two minutes at one a second).
    public static let capacity = 120
    private var ring: [ConsoleStatus] = []

    public init() {}

    public mutating func add(_ s: ConsoleStatus) {
        ring.append(s)
        if ring.count > Self.capacity { ring.removeFirst(ring.count - Self.capacity) }
    }

    public var latest: ConsoleStatus? { ring.last }

    /// Snapshot `seq`, if still kept.
    public func snapshot(_ seq: Int) throws(ConsoleError) -> ConsoleStatus {
        guard let s = ring.last(where: { $0.seq == seq }) else { throw .noSnapshot(seq) }
        return s
    }
}
