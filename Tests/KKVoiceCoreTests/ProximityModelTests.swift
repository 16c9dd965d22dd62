import Foundation
import KKVoiceCore
import Testing

/// The distance fade (Vivox's positional models) and its parameter checks.
@Suite struct ProximityModelTests {
    @Test(arguments: ProximityModel.Rolloff.allCases)
    func gainNeverRisesWithDistanceAndIsSilentBeyondAudible(_ rolloff: ProximityModel.Rolloff) throws {
        for fade in [0.5, 1.0, 2.0] {
            let m = try ProximityModel(fadeIntensity: fade, model: rolloff)
            var previous = 1.0
            for step in 0...500 {
                let d = Double(step) * 0.1
                let g = m.gain(distance: d)
                #expect(g >= 0 && g <= 1)
                #expect(g <= previous, "\(rolloff) fade \(fade) rises at \(d)")
                if d <= m.conversationalDistance { #expect(g == 1) }
                if d > m.audibleDistance { #expect(g == 0) }
                previous = g
            }
            #expect(m.gain(distance: 40.000001) == 0)
            #expect(m.gain(distance: .nan) == 0)
        }
    }

    @Test func theCurvesHaveVivoxsShapes() throws {
        #expect(ProximityModel.standard.gain(distance: 8) == 0.5)                      // 4 / (4 + 4)
        #expect(abs(ProximityModel.standard.gain(distance: 40) - 0.1) < 1e-12)        // 4 / 40
        #expect(try ProximityModel(model: .linearByDistance).gain(distance: 22) == 0.5) // 1 - 18/36
        #expect(try ProximityModel(model: .linearByDistance).gain(distance: 40) == 0)
        #expect(try ProximityModel(fadeIntensity: 2, model: .linearByDistance).gain(distance: 30) == 0)
        #expect(try ProximityModel(model: .exponentialByDistance).gain(distance: 8) == 0.5)
        #expect(try ProximityModel(fadeIntensity: 2, model: .exponentialByDistance).gain(distance: 8) == 0.25)
        #expect(try ProximityModel(model: .none).gain(distance: 40) == 1)
    }

    @Test func hysteresisKeepsALinkUpToTheBand() {
        let m = ProximityModel.standard
        #expect(m.linked(distance: 40, wasLinked: false))
        #expect(!m.linked(distance: 40.5, wasLinked: false))
        #expect(m.linked(distance: 46, wasLinked: true))
        #expect(!m.linked(distance: 46.01, wasLinked: true))
    }

    @Test func refusesInvalidParameters() {
        #expect(throws: VoiceError.badConfig("conversationalDistance must be > 0")) { try ProximityModel(conversationalDistance: 0) }
        #expect(throws: VoiceError.badConfig("audibleDistance must be > conversationalDistance")) {
            try ProximityModel(audibleDistance: 4, conversationalDistance: 4)
        }
        #expect(throws: VoiceError.badConfig("fadeIntensity must be > 0")) { try ProximityModel(fadeIntensity: 0) }
        #expect(throws: VoiceError.badConfig("hysteresis must be >= 0")) { try ProximityModel(hysteresis: -1) }
        #expect(throws: VoiceError.badConfig("values must be finite")) { try ProximityModel(audibleDistance: .infinity) }
        #expect(throws: Never.self) { try ProximityModel(hysteresis: 0) }
        #expect(VoiceError.badConfig("x").code == "bad_config")
    }

    @Test func decodesWithDefaultsAndChecks() throws {
        let m = try JSONDecoder().decode(ProximityModel.self, from: Data(#"{"audibleDistance":60,"model":"linearByDistance"}"#.utf8))
        #expect(m == (try ProximityModel(audibleDistance: 60, model: .linearByDistance)))
        #expect(try JSONDecoder().decode(ProximityModel.self, from: JSONEncoder().encode(m)) == m)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ProximityModel.self, from: Data(#"{"fadeIntensity":-1}"#.utf8)) }
    }
}
