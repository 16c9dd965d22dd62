import Foundation
import KKLocalStack
import KKTestSupport
import Testing

/// kk-shard under Agones (`AGONES_SDK_HTTP_PORT`), against a stand-in for the SDK sidecar's REST
/// API (Tests/Agones/fake_agones_sdk.py) that starts after the shard (as a sidecar may): the
/// shard keeps retrying, then marks itself Ready with the label matches=0 and pings Health;
/// hosting a match it self-allocates (a fleet scaling down never kills a race) and labels
/// matches=1; when Agones moves the GameServer to Shutdown the shard drains; when it exits it
/// calls Shutdown.
@Suite(.serialized) struct AgonesShardTests {
    struct Call: Decodable, Equatable {
        var method: String; var path: String; var body: String
        /// Bodies compare as JSON (key order is the sender's business).
        static func == (a: Call, b: Call) -> Bool {
            guard a.method == b.method && a.path == b.path else { return false }
            if a.body == b.body { return true }
            let da = try? JSONSerialization.jsonObject(with: Data(a.body.utf8)) as? NSDictionary
            let db = try? JSONSerialization.jsonObject(with: Data(b.body.utf8)) as? NSDictionary
            return da != nil && da == db
        }
    }

    @Test func theShardDrivesTheAgonesLifecycle() throws {
        let s = try StackProcesses("agones-shard")
        let sdkPort = Int(SystemTest.freePort())
        let log = "\(s.dir)/agones-calls.jsonl", stateFile = "\(s.dir)/agones-state"
        let s1 = try s.shard("s1", environment: ["AGONES_SDK_HTTP_PORT": "\(sdkPort)"])
        #expect(s.ready("s1"))
        // The sidecar comes up late.
        let fake = try ChildProcess(path: "/usr/bin/python3",
                                    arguments: [SystemTest.packageRoot.appendingPathComponent("Tests/Agones/fake_agones_sdk.py").path,
                                                "\(sdkPort)", log, stateFile], logPath: "\(s.dir)/fake-sdk.log")
        defer { fake.stop() }
        func calls() -> [Call] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONDecoder().decode(Call.self, from: Data($0.utf8)) }
        }
        func label(_ v: String) -> Call { Call(method: "PUT", path: "/metadata/label", body: #"{"key":"matches","value":"\#(v)"}"#) }
        let ready = Call(method: "POST", path: "/ready", body: "{}")
        #expect(SystemTest.eventually(seconds: 15) {
            let c = calls()
            return c.contains(ready) && c.contains(label("0")) && c.filter { $0.path == "/health" }.count >= 2
        }, "\(calls())\n\(s.log("s1").suffix(1500))")
        #expect(!calls().contains { $0.path == "/allocate" }, "no match yet: not allocated")
        // A match placed on it by our allocator: Allocated, labelled.
        try s.allocate(match: 41, on: "s1", ownerTtlMillis: 5000)
        #expect(SystemTest.eventually(seconds: 10) {
            let c = calls()
            return c.contains(Call(method: "POST", path: "/allocate", body: "{}")) && c.contains(label("1"))
        }, "\(calls())")
        let allocateIndex = calls().firstIndex { $0.path == "/allocate" } ?? -1
        #expect(allocateIndex > calls().firstIndex(of: ready) ?? Int.max)
        #expect(SystemTest.eventually(seconds: 8) {
            SystemTest.http(port: s.adminPorts["s1"]!, path: "/status")?.body.contains("\"agones\":\"Allocated\"") == true
        })
        // Agones shuts the game server down: the shard drains (its match stays until adopted or over).
        try "Shutdown".write(toFile: stateFile, atomically: true, encoding: .utf8)
        #expect(SystemTest.eventually(seconds: 10) {
            let r = SystemTest.http(port: s.adminPorts["s1"]!, path: "/readyz")
            return r?.status == 503 && r?.body.contains("draining") == true
        }, "\(s.log("s1").suffix(1500))")
        // SIGTERM: it exits and tells Agones.
        s1.signal(SIGTERM)
        #expect(s1.wait(seconds: 15) != nil)
        #expect(calls().last == Call(method: "POST", path: "/shutdown", body: "{}"), "\(calls().suffix(3))")
        #expect(s.log("s1").contains("agones: POST /ready"))
    }

    @Test func aBadAgonesPortIsAClearErrorNotACrash() throws {
        let s = try StackProcesses("agones-bad-port")
        let p = try s.shard("s1", environment: ["AGONES_SDK_HTTP_PORT": "not-a-port"])
        let status = p.wait(seconds: 15)
        #expect(status.map { ($0 >> 8) & 0xff } != 0 && status.map { $0 & 0x7f } == 0, "exits with an error, not a signal")
        #expect(s.log("s1").contains("AGONES_SDK_HTTP_PORT 'not-a-port' is not a port"), "\(s.log("s1"))")
    }
}
