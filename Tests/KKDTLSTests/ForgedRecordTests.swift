import KKDTLS
import KKTestSupport
import Testing

/// Datagrams forged onto an established session (UDP source addresses are trivial to spoof):
/// none may end the session or draw an answer; each is dropped and counted by reason.
@Suite struct ForgedRecordTests {
    /// Every shape against the server side and the client side of a live session, for both
    /// cipher suites: no answer, the session stays up, data still flows both ways.
    @Test(arguments: [nil, "DHE-PSK-AES128-GCM-SHA256"])
    func forgedDatagramsNeverEndTheSession(clientCiphers: String?) throws {
        let h = try Harness(clientCiphers: clientCiphers)
        try h.run()
        let server = try #require(h.serverSession)
        #expect(server.isEstablished && h.client.isEstablished)
        var plain = [UInt8](repeating: 0, count: 4096)
        var out = [UInt8](repeating: 0, count: 4096)
        for target in [server, h.client] {
            for f in ForgedDTLS.datagrams(seed: 7) {
                var rejected: [DTLSRecordRejection] = []
                f.bytes.withUnsafeBytes { raw in
                    do throws(DTLSError) { try target.feed(raw) { rejected.append($0) } } catch {
                        Issue.record("\(f.name): feed failed: \(error)")
                    }
                }
                if !f.isRandom {
                    #expect(rejected.map(\.label) == f.expected, "\(f.name)")
                }
                #expect(try target.read(into: &plain) == nil, "\(f.name): nothing authenticates")
                #expect(try target.drain(into: &out) == nil, "\(f.name): no answer (no alert)")
                #expect(target.isEstablished, "\(f.name): the session is still up")
            }
        }
        try h.send(Array("still racing".utf8), from: h.client)
        try h.send(Array("frame".utf8), from: server)
        try h.flush()
        #expect(h.serverReceived.last == Array("still racing".utf8))
        #expect(h.clientReceived.last == Array("frame".utf8))
    }

    /// A genuine record delivered twice (a replay from someone who captured it) is applied once.
    @Test func replayedRecordIsAppliedOnce() throws {
        let h = try Harness()
        try h.run()
        let server = try #require(h.serverSession)
        try h.client.write(Array("input".utf8))
        let captured = try #require(try h.drain(h.client))
        h.toServer(captured)
        h.toServer(captured)
        #expect(h.serverReceived == [Array("input".utf8)])
        var out = [UInt8](repeating: 0, count: 2048)
        #expect(try server.drain(into: &out) == nil && server.isEstablished)
    }

    /// The filter's verdicts, record by record, without OpenSSL.
    @Test func filterVerdicts() {
        #expect(DTLSRecordFilter.rejection(type: 23, version: 0xFEFD, epoch: 1, bodyBytes: 17) == nil)
        #expect(DTLSRecordFilter.rejection(type: 21, version: 0xFEFD, epoch: 1, bodyBytes: 18) == nil)
        #expect(DTLSRecordFilter.rejection(type: 22, version: 0xFEFD, epoch: 1, bodyBytes: 40) == nil)
        #expect(DTLSRecordFilter.rejection(type: 23, version: 0xFEFD, epoch: 1, bodyBytes: 16) == .tooShort)
        #expect(DTLSRecordFilter.rejection(type: 23, version: 0xFEFD, epoch: 1, bodyBytes: 2049) == .tooLong)
        #expect(DTLSRecordFilter.rejection(type: 22, version: 0xFEFD, epoch: 0, bodyBytes: 40) == .staleEpoch)
        #expect(DTLSRecordFilter.rejection(type: 23, version: 0xFEFD, epoch: 7, bodyBytes: 40) == .futureEpoch)
        #expect(DTLSRecordFilter.rejection(type: 25, version: 0xFEFD, epoch: 1, bodyBytes: 40) == .unexpectedType)
        #expect(DTLSRecordFilter.rejection(type: 23, version: 0xFEFF, epoch: 1, bodyBytes: 40) == .wrongVersion)
        // Good records around a bad one: the good ones pass in order, the bad one is counted.
        let good1 = ForgedDTLS.record(type: 23, epoch: 1, seq: 5, body: [UInt8](repeating: 1, count: 20))
        let bad = ForgedDTLS.record(type: 21, epoch: 0, seq: 6, body: [2, 40])
        let good2 = ForgedDTLS.record(type: 22, epoch: 1, seq: 7, body: [UInt8](repeating: 2, count: 30))
        var passed: [[UInt8]] = []
        var rejected: [DTLSRecordRejection] = []
        (good1 + bad + good2).withUnsafeBytes { raw in
            DTLSRecordFilter.walk(raw, accept: { passed.append(Array($0)) }, reject: { rejected.append($0) })
        }
        #expect(passed == [good1, good2] && rejected == [.staleEpoch])
    }
}
