/// One fuzz target: a decoder that reads bytes from the network, Redis or disk, fed arbitrary
/// input. A target returns whether the decoder accepted the input; it throws a ``FuzzViolation``
/// when a property the decoder promises does not hold (a decoded value that does not survive
/// its own encoder, a range outside the packet). A trap inside the decoder is the other kind
/// of finding: libFuzzer (and AddressSanitizer) report those.
///
/// `kk-fuzz` runs a target under libFuzzer (built by Ops/scripts/fuzz.sh) or replays files
/// through it (any build); FuzzCorpusTests replays the committed corpora and reproducers.
public struct FuzzTarget: Sendable {
    /// What the decoder made of one input.
    public enum Outcome: Equatable, Sendable { case accepted, rejected }

    /// The name used on the command line and as the corpus directory (Tests/Fuzz/corpus/NAME).
    public let name: String
    /// What the target feeds and which properties it checks.
    public let summary: String
    /// Files (relative to the repository root) whose contents are seeds too.
    public let seedFiles: [String]
    let body: @Sendable (UnsafeRawBufferPointer) throws(FuzzViolation) -> Outcome
    let makeSeeds: @Sendable () -> [[UInt8]]

    init(name: String, summary: String, seedFiles: [String] = [],
         seeds: @escaping @Sendable () -> [[UInt8]],
         body: @escaping @Sendable (UnsafeRawBufferPointer) throws(FuzzViolation) -> Outcome) {
        self.name = name
        self.summary = summary
        self.seedFiles = seedFiles
        self.makeSeeds = seeds
        self.body = body
    }

    /// Feeds one input.
    public func run(_ bytes: UnsafeRawBufferPointer) throws(FuzzViolation) -> Outcome { try body(bytes) }

    /// Feeds one input held in an array.
    public func run(_ bytes: [UInt8]) throws(FuzzViolation) -> Outcome {
        let result: Result<Outcome, FuzzViolation> = bytes.withUnsafeBytes { raw in
            do throws(FuzzViolation) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Seed inputs made with the real encoders (valid packets, frames, snapshots, logs).
    public func seeds() -> [[UInt8]] { makeSeeds() }
}

/// A property of a decoder that did not hold for one input.
public struct FuzzViolation: Error, CustomStringConvertible, Equatable {
    public let target: String
    public let description: String
    public init(_ target: String, _ description: String) {
        self.target = target
        self.description = "\(target): \(description)"
    }
}

/// Every target, in a stable order.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = PacketTargets.all + StateTargets.all + TextTargets.all

    /// The target called `name`, if any.
    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
