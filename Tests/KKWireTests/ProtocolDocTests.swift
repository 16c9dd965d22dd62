import KKTestSupport
import KKWire
import Testing

/// Keeps docs/PROTOCOL.md true: every packet type has exactly one example there, and each
/// example is the documented sample's encoding byte for byte and decodes back to the sample.
@Suite struct ProtocolDocTests {
    /// Examples that belong to the connect-token section (checked by KKTokenTests).
    static let tokenExamples: Set<String> = ["sealed-token", "sealed-token-text", "connect-token-json"]

    static func packetExamples() throws -> [ProtocolDoc.Example] {
        try ProtocolDoc.examples(in: ProtocolDoc.text()).filter { !tokenExamples.contains($0.name) }
    }

    @Test func everyPacketTypeIsDocumentedAndNoneIsStale() throws {
        let documented = try Self.packetExamples().map(\.name)
        let samples = try Samples.all().map(\.0)
        #expect(Set(documented) == Set(samples))
        #expect(documented.count == samples.count)
        // Every packet type byte is covered by a sample (full and delta frames are two types).
        let types = Set(try Samples.all().map { $0.1[5] })
        #expect(types == Set(PacketType.allCases.map(\.rawValue)))
        let all = try ProtocolDoc.examples(in: ProtocolDoc.text()).map(\.name)
        #expect(Self.tokenExamples.isSubset(of: Set(all)))
    }

    @Test func examplesAreTheSamplesByteForByte() throws {
        let samples = Dictionary(uniqueKeysWithValues: try Samples.all())
        for ex in try Self.packetExamples() {
            #expect(ex.language == "hex", "\(ex.name): fenced as \(ex.language)")
            guard let bytes = Hex.bytes(ex.body) else { Issue.record("\(ex.name): not hex"); continue }
            guard let sample = samples[ex.name] else { continue }
            #expect(Hex.string(bytes) == Hex.string(sample), "\(ex.name) (PROTOCOL.md line \(ex.line))")
        }
    }

    @Test func examplesDecodeToTheSamples() throws {
        for ex in try Self.packetExamples() {
            guard let bytes = Hex.bytes(ex.body) else { Issue.record("\(ex.name): not hex"); continue }
            let ok = try bytes.withUnsafeBytes { raw in try Self.decodesToSample(ex.name, raw) }
            #expect(ok, "\(ex.name) (PROTOCOL.md line \(ex.line)) does not decode to the sample")
        }
    }

    /// Decodes `raw` through the decoder of its direction and compares with the named sample.
    static func decodesToSample(_ name: String, _ raw: UnsafeRawBufferPointer) throws -> Bool {
        func frameMatches(_ f: FramePacket, _ s: FramePacket) -> Bool {
            f.tick == s.tick && f.baselineTick == s.baselineTick && f.lastAppliedSeq == s.lastAppliedSeq
                && f.inputMargin == s.inputMargin
                && Array(raw[f.payload]) == Samples.framePayload
        }
        switch name {
        case "hello", "input", "ping", "disconnect":
            let m = try ClientToRelay.decode(raw)
            if name == "disconnect" {
                // The one type of both directions.
                guard case .disconnect(let p) = try RelayToClient.decode(raw), p == Samples.disconnect else { return false }
            } else {
                #expect(throws: WireError.unknownType) { try RelayToClient.decode(raw) }
            }
            #expect(throws: WireError.unknownType) { try ShardMessage.decode(raw) }
            switch (name, m) {
            case ("hello", .hello(let p)): return p == Samples.hello
            case ("input", .input(let p)): return p == Samples.input
            case ("ping", .ping(let p)): return p == Samples.ping
            case ("disconnect", .disconnect(let p)): return p == Samples.disconnect
            default: return false
            }
        case "welcome", "full-frame", "delta-frame", "pong", "resume-ticket":
            let m = try RelayToClient.decode(raw)
            #expect(throws: WireError.unknownType) { try ClientToRelay.decode(raw) }
            #expect(throws: WireError.unknownType) { try ShardMessage.decode(raw) }
            switch (name, m) {
            case ("welcome", .welcome(let p)): return p == Samples.welcome
            case ("full-frame", .frame(let f)): return frameMatches(f, Samples.fullFrame)
            case ("delta-frame", .frame(let f)): return frameMatches(f, Samples.deltaFrame)
            case ("pong", .pong(let p)): return p == Samples.pong
            case ("resume-ticket", .resumeTicket(let p)): return p == Samples.resumeTicket
            default: return false
            }
        default:
            let m = try ShardMessage.decode(raw)
            #expect(throws: WireError.unknownType) { try ClientToRelay.decode(raw) }
            #expect(throws: WireError.unknownType) { try RelayToClient.decode(raw) }
            switch (name, m) {
            case ("relay-hello", .relayHello(let p)): return p == Samples.relayHello
            case ("join-request", .joinRequest(let p)): return p == Samples.joinRequest
            case ("join-reply", .joinReply(let p)): return p == Samples.joinReply
            case ("leave", .leave(let p)): return p == Samples.leave
            case ("input-batch", .inputBatch(let v)): let all = try v.all(); return v.batchSeq == 12 && all == Samples.batch
            case ("match-frame", .matchFrame(let f)):
                var expected = Samples.matchFrame
                expected.payload = f.payload
                return f == expected && Array(raw[f.payload]) == Samples.framePayload
            default: return false
            }
        }
    }

    /// The "Limits summary" table quotes these constants; each quoted row must hold the value.
    @Test func limitsTableMatchesTheCode() throws {
        let actual: [String: Int] = [
            "Limits.maxDatagramBytes": Limits.maxDatagramBytes,
            "Limits.protocolVersion": Int(Limits.protocolVersion),
            "Limits.headerBytes": Limits.headerBytes,
            "Limits.checksumBytes": Limits.checksumBytes,
            "Limits.maxInputsPerPacket": Limits.maxInputsPerPacket,
            "Limits.maxFramePayloadBytes": Limits.maxFramePayloadBytes,
            "Limits.maxResumeTicketBytes": Limits.maxResumeTicketBytes,
            "Limits.maxBatchEntries": Limits.maxBatchEntries,
            "Limits.maxPlayersPerMatch": Limits.maxPlayersPerMatch,
            "Limits.maxShardFramePayloadBytes": Limits.maxShardFramePayloadBytes,
            "Limits.maxShardPacketBytes": Limits.maxShardPacketBytes,
            "Limits.maxInputBatchBytes": Limits.maxInputBatchBytes,
            "BatchedInput.wireBytes": BatchedInput.wireBytes,
        ]
        var found: Set<String> = []
        // Rows look like: | `Limits.maxDatagramBytes` | 1200 | meaning |
        for line in try ProtocolDoc.text().split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("`"), cells[0].hasSuffix("`") else { continue }
            let name = String(cells[0].dropFirst().dropLast())
            guard let value = actual[name] else { continue }
            found.insert(name)
            let digits = cells[1].filter { $0.isNumber }
            #expect(Int(digits) == value, "\(name): PROTOCOL.md says \(cells[1]), code says \(value)")
        }
        #expect(found == Set(actual.keys), "missing from the limits table: \(Set(actual.keys).subtracting(found))")
    }
}
