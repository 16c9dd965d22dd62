import KKDTLS
import KKTestSupport
import Testing

@Suite struct GateFuzzTests {
    /// Every prefix of a real ClientHello is a counted drop; the whole one is answered.
    @Test func truncatedClientHellosAreDropped() throws {
        let (hello, second) = try CookieGateTests.clientHellos()
        let gate = DTLSCookieGate(key: CookieGateTests.key)
        var response = [UInt8](repeating: 0, count: 64)
        for source in [hello, second] {
            for cut in 0..<source.count {
                let d = Array(source[0..<cut])
                let v = d.withUnsafeBytes { db in Harness.peer.withUnsafeBytes { p in
                    response.withUnsafeMutableBytes { gate.inspect(db, peer: p, nowSeconds: Harness.now, response: $0) } } }
                guard case .drop = v else { Issue.record("prefix \(cut): \(v)"); return }
            }
        }
    }

    /// Seeded mutations of real ClientHellos (with and without cookie) plus random bytes: never a
    /// trap, a response never larger than its request, and many distinct drop reasons counted.
    @Test func mutatedAndRandomDatagramsNeverCrash() throws {
        let (hello, second) = try CookieGateTests.clientHellos()
        let gate = DTLSCookieGate(key: CookieGateTests.key)
        var rng = SplitMix64(seed: 0xD7_15)
        var response = [UInt8](repeating: 0, count: 64)
        var drops: [DTLSGateDropReason: Int] = [:]
        var answered = 0
        var started = 0
        for i in 0..<24_000 {
            var d: [UInt8]
            switch i % 4 {
            case 0: d = Mutator.mutate(hello, rng: &rng)
            case 1: d = Mutator.mutate(second, rng: &rng)
            case 2: d = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default:
                // Random bytes behind a plausible record + handshake header.
                d = Array(hello[0..<25]) + (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if Bool.random(using: &rng) { d[11] = UInt8((d.count - 13) >> 8); d[12] = UInt8((d.count - 13) & 0xFF) }
            }
            let v = d.withUnsafeBytes { db in Harness.peer.withUnsafeBytes { p in
                response.withUnsafeMutableBytes { gate.inspect(db, peer: p, nowSeconds: Harness.now, response: $0) } } }
            switch v {
            case .drop(let r): drops[r, default: 0] += 1
            case .sendHelloVerifyRequest(let n, _):
                #expect(n <= d.count)
                answered += 1
            case .startSession: started += 1
            }
        }
        #expect(answered > 100 && started > 100)
        #expect(drops.count >= 8, "\(drops)")
        let reasons = Set(drops.keys)
        for r in [DTLSGateDropReason.tooShort, .notHandshake, .badRecordLength, .truncatedHello] { #expect(reasons.contains(r)) }
    }

    /// A short response buffer or an over-long peer address is a counted drop, not a write.
    @Test func responseBufferAndPeerLimits() throws {
        let (hello, _) = try CookieGateTests.clientHellos()
        let gate = DTLSCookieGate(key: CookieGateTests.key)
        var small = [UInt8](repeating: 0, count: 10)
        let v1 = hello.withUnsafeBytes { db in Harness.peer.withUnsafeBytes { p in
            small.withUnsafeMutableBytes { gate.inspect(db, peer: p, nowSeconds: Harness.now, response: $0) } } }
        #expect(v1 == .drop(.noRoomForResponse))
        var response = [UInt8](repeating: 0, count: 64)
        let longPeer = [UInt8](repeating: 1, count: 40)
        let v2 = hello.withUnsafeBytes { db in longPeer.withUnsafeBytes { p in
            response.withUnsafeMutableBytes { gate.inspect(db, peer: p, nowSeconds: Harness.now, response: $0) } } }
        #expect(v2 == .drop(.badPeerAddress))
    }
}
