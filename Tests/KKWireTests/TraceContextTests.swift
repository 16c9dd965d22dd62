import KKWire
import Testing

/// The W3C trace context a Hello and a JoinRequest may carry (25 trailing bytes).
@Suite struct TraceContextTests {
    let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func traceparentParsesAndPrints() throws {
        let t = try #require(TraceContext(traceparent: header))
        #expect(t.traceId == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(t.spanIdHex == "00f067aa0ba902b7")
        #expect(t.flags == 1)
        #expect(t.traceparent == header)
        for bad in ["", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01"] {
            #expect(TraceContext(traceparent: bad) == nil, "\(bad)")
        }
    }

    private func roundTrip<P: WirePacket & Equatable>(_ p: P) throws -> (P, Int) {
        let bytes = try p.encoded(protocolId: 7)
        return (try bytes.decodePacket(P.self, protocolId: 7), bytes.count)
    }

    @Test func aBrokenTrailerIsRefused() throws {
        let t = try #require(TraceContext(traceparent: header))
        let bytes = try HelloPacket(mode: .join, lastFrameTick: 1, nextInputSeq: 1, trace: t).encoded(protocolId: 7)
        // Cut inside the trailer: the framing's length/checksum no longer matches, or the trailer is short.
        #expect(throws: WireError.self) { try Array(bytes.dropLast(3)).decodePacket(HelloPacket.self, protocolId: 7) }
    }

    @Test func helloAndJoinRequestCarryItOrNot() throws {
        let t = try #require(TraceContext(traceparent: header))
        let (plain, plainBytes) = try roundTrip(HelloPacket(mode: .join, lastFrameTick: 5, nextInputSeq: 9))
        #expect(plain.trace == nil)
        let (traced, tracedBytes) = try roundTrip(HelloPacket(mode: .resume, lastFrameTick: 5, nextInputSeq: 9, trace: t))
        #expect(traced == HelloPacket(mode: .resume, lastFrameTick: 5, nextInputSeq: 9, trace: t))
        #expect(tracedBytes == plainBytes + TraceContext.wireBytes)
        let (join, _) = try roundTrip(JoinRequestPacket(matchId: 3, playerId: 4, mode: .join, trace: t))
        #expect(join.trace == t)
        #expect(try roundTrip(JoinRequestPacket(matchId: 3, playerId: 4, mode: .join)).0.trace == nil)
    }
}
