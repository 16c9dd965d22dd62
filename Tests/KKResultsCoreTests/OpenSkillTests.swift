import Foundation
import KKResultsCore
import Testing

/// The Swift Plackett-Luce update against the `openskill` package (PyPI) on the same inputs.
/// The package lives in the venv Ops/scripts/install-deps.sh makes (`KK_OPENSKILL_PYTHON`, set by
/// Ops/scripts/test.sh); without it this test fails and says how to get it.
@Suite struct OpenSkillTests {
    struct Case: Codable { var players: [[Double]]; var places: [Int] }

    static let cases: [Case] = [
        Case(players: [[25, 25.0 / 3], [25, 25.0 / 3]], places: [1, 2]),
        Case(players: [[25, 25.0 / 3], [25, 25.0 / 3], [25, 25.0 / 3], [25, 25.0 / 3]], places: [3, 1, 4, 2]),
        Case(players: [[30, 4], [22, 7], [27.5, 2.5], [18, 8.3], [25, 6], [35, 1.2], [21, 5], [26, 3]], places: [2, 8, 1, 7, 3, 4, 6, 5]),
        // Did-not-finish racers share the last place.
        Case(players: [[25, 8.3], [28, 5], [19, 6], [31, 2]], places: [1, 2, 3, 3]),
        Case(players: [[10, 1], [40, 1]], places: [1, 2]),
    ]

    @Test func matchesTheOpenskillPackage() throws {
        let env = ProcessInfo.processInfo.environment
        let python = try #require(env["KK_OPENSKILL_PYTHON"],
                                  "set KK_OPENSKILL_PYTHON to a python with openskill 6.2.0 (Ops/scripts/install-deps.sh makes one)")
        let script = """
            import json, sys
            from openskill.models import PlackettLuce
            m = PlackettLuce()
            out = []
            for c in json.load(sys.stdin):
                teams = [[m.rating(mu=p[0], sigma=p[1])] for p in c["players"]]
                r = m.rate(teams, ranks=c["places"])
                out.append([[t[0].mu, t[0].sigma] for t in r])
            print(json.dumps(out))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(Self.cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "python failed")
        let expected = try JSONDecoder().decode([[[Double]]].self, from: data)
        for (k, c) in Self.cases.enumerated() {
            let mine = PlackettLuce().rate(c.players.map { SkillRating(mu: $0[0], sigma: $0[1]) }, places: c.places)
            for (i, r) in mine.enumerated() {
                #expect(abs(r.mu - expected[k][i][0]) < 1e-9 && abs(r.sigma - expected[k][i][1]) < 1e-9,
                        "case \(k) racer \(i): swift \(r), openskill \(expected[k][i])")
            }
        }
    }

    @Test func winnersGainLosersLoseAndUncertaintyShrinks() {
        let r = PlackettLuce().rate([SkillRating(), SkillRating(), SkillRating()], places: [2, 1, 3])
        #expect(r[1].mu > 25 && r[0].mu > r[2].mu && r[2].mu < 25)
        #expect(r.allSatisfy { $0.sigma < 25.0 / 3 })
    }
}
