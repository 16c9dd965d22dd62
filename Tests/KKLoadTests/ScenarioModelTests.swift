import Foundation
import KKLoad
import Testing

/// Scenario fields of the client model and the frame rate.
@Suite struct ScenarioModelTests {
    @Test func leanClientsTakeLowerRatesButNoImpairmentOrFaults() throws {
        var sc = try Scenario.load(Data(#"{"client":"lean","inputHz":10,"frameHz":10}"#.utf8))
        #expect(sc.client == .lean && sc.frameEveryTicks == 6)
        #expect(sc.validate().isEmpty)
        sc.faults = [.init(atSeconds: 1, kill: .relay)]
        #expect(sc.validate().contains { $0.contains("faults need client") })
        sc.faults = []
        sc.impairment.up.loss = 0.01
        #expect(sc.validate().contains { $0.contains("impairment needs client") })
        sc.impairment.up.loss = 0
        sc.rematch = true
        #expect(sc.validate() == ["rematch needs client \"sdk\""])
        #expect(try Scenario.load(Data(#"{"rematch":true}"#.utf8)).rematch)
        #expect(try !Scenario.load(Data("{}".utf8)).rematch)
        let sdk = try Scenario.load(Data(#"{"inputHz":10}"#.utf8))
        #expect(sdk.client == .sdk && sdk.validate().contains { $0.contains("inputHz must be 20, 30 or 60") })
        #expect(try Scenario.load(Data(#"{"frameHz":7}"#.utf8)).validate().contains { $0.contains("frameHz") })
        #expect(throws: (any Error).self) { try Scenario.load(Data(#"{"client":"thin"}"#.utf8)) }
    }

    @Test func scenarioFilesInTheRepositoryAreValid() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LoadTests/scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 6)
        for f in files {
            let sc = try Scenario.load(try Data(contentsOf: dir.appendingPathComponent(f)))
            #expect(sc.validate().isEmpty, "\(f): \(sc.validate())")
        }
    }
}
