import Benchmark
import KKToken

func tokenBenchmarks() {
    let now: UInt64 = 1_800_000_000
    let key = try! TokenKey(hex: String(repeating: "5a3c", count: 16))
    let issuer = try! TokenIssuer(key: key)
    let token = try! issuer.issue(playerId: 42, matchId: 7, now: now, validSeconds: 3_600, relays: ["127.0.0.1:7777"])
    let validator = try! TokenValidator(keys: [key])
    // The PSK identity as the DTLS callback hands it over: raw bytes, not a String.
    let utf8 = Array(token.sealed.utf8)
    let text = UnsafeMutableRawBufferPointer.allocate(byteCount: utf8.count, alignment: 16)
    utf8.withUnsafeBytes { text.copyMemory(from: $0) }
    let textView = UnsafeRawBufferPointer(text)
    let check = try! validator.validate(text: textView, now: now + 10)
    guard check.playerId == 42, check.matchId == 7 else { fatalError("token round trip") }
    let sizes = "[sizes] connect token text \(utf8.count) chars (sealed \(SealedTokenLayout.sealedBytes) B)"

    Benchmark("Token: validate(text:now:)", configuration: kkConfig(.kilo, iterations: 2_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! validator.validate(text: textView, now: now + 10))
        }
    } setup: {
        report(sizes)
    }
}
