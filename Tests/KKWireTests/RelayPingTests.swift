import KKWire
import Testing

/// The unauthenticated relay ping: exact shape only, an answer smaller than the request.
@Suite struct RelayPingTests {
    func answer(_ req: [UInt8], load: UInt8 = 7) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 64)
        let n = req.withUnsafeBytes { r in out.withUnsafeMutableBytes { RelayPing.answer(r, load: load, into: $0) } }
        return n.map { Array(out[0..<$0]) }
    }

    @Test func aRequestIsAnsweredWithItsNonceAndNothingElseIs() {
        let req = RelayPing.request(nonce: 0x0102_0304_0506_0708)
        #expect(req.count == RelayPing.requestBytes)
        let ans = answer(req)
        #expect(ans?.count == RelayPing.responseBytes && RelayPing.responseBytes < RelayPing.requestBytes)
        #expect(RelayPing.parseAnswer(ans ?? []).map { [$0.nonce == 0x0102_0304_0506_0708, $0.load == 7] } == [true, true])
        var padded = req; padded[31] = 1
        var magic = req; magic[3] = 0x21
        for bad in [Array(req.dropLast()), req + [0], padded, magic, [0x16, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 29)] {
            #expect(answer(bad) == nil)
        }
        #expect(RelayPing.parseAnswer(req) == nil)
    }
}
