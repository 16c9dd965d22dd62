import KKShardCore
import Testing

@Suite struct AgonesPolicyTests {
    typealias F = AgonesPolicy.Facts

    /// Runs the policy's calls as if they all went through; returns them.
    func step(_ p: inout AgonesPolicy, _ f: F, at now: UInt64, failing: Set<String> = []) -> [AgonesPolicy.Call] {
        let calls = p.calls(f, nowMillis: now)
        for c in calls where !failing.contains("\(c)") { p.succeeded(c, nowMillis: now) }
        return calls
    }

    @Test func readyThenAllocatedWhileHostingThenReadyAgain() {
        var p = AgonesPolicy(healthEveryMillis: 2_000)
        // Starting, not ready: health and the label only.
        #expect(step(&p, F(ready: false), at: 0) == [.health, .label(key: "matches", value: "0")])
        #expect(step(&p, F(ready: false), at: 500) == [])
        #expect(step(&p, F(ready: true), at: 1_000) == [.ready])
        #expect(step(&p, F(ready: true), at: 2_000) == [.health])
        // A match: allocated (once), labelled.
        #expect(step(&p, F(ready: true, matches: 1), at: 2_100) == [.label(key: "matches", value: "1"), .allocate])
        #expect(step(&p, F(ready: true, matches: 2), at: 2_200) == [.label(key: "matches", value: "2")])
        #expect(p.allocated)
        // Last match over: back to the Ready pool.
        #expect(step(&p, F(ready: true, matches: 0), at: 2_300) == [.label(key: "matches", value: "0"), .ready])
        #expect(!p.allocated && p.markedReady)
        #expect(step(&p, F(ready: true, matches: 0), at: 2_400) == [])
    }

    @Test func failedCallsAreMadeAgain() {
        var p = AgonesPolicy()
        // The sidecar is not up yet: everything fails, and is asked again next round.
        let first = step(&p, F(ready: true), at: 0, failing: ["health", "ready", "label(key: \"matches\", value: \"0\")"])
        #expect(first == [.health, .label(key: "matches", value: "0"), .ready])
        #expect(step(&p, F(ready: true), at: 250) == first)
        #expect(step(&p, F(ready: true), at: 500) == [])
    }

    @Test func drainingNeitherAllocatesNorReadiesAndExitIsShutdownOnce() {
        var p = AgonesPolicy(healthEveryMillis: 1_000)
        _ = step(&p, F(ready: true), at: 0)
        #expect(step(&p, F(ready: false, matches: 1, draining: true), at: 100) == [.label(key: "matches", value: "1")])
        #expect(step(&p, F(ready: false, matches: 0, draining: true), at: 1_000) == [.health, .label(key: "matches", value: "0")])
        #expect(step(&p, F(draining: true, exiting: true), at: 1_100) == [.shutdown])
        #expect(p.shutdownSent)
        #expect(step(&p, F(draining: true, exiting: true), at: 5_000) == [])
    }
}
