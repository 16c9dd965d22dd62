import Foundation

/// How loud a speaker is at a distance, after Vivox's positional channels: full volume within
/// `conversationalDistance`, a fade beyond it shaped by `model` and `fadeIntensity`, silence
/// beyond `audibleDistance`. Distances are in metres (world units).
///
/// `hysteresis` is for links (peer connections), not gains: a pair links when it comes within
/// `audibleDistance` and unlinks only beyond `audibleDistance + hysteresis`, so a kart driving
/// along the cutoff does not tear down and rebuild its connections.
///
/// The parameters are checked on creation (and decoding): a model that exists is valid.
public struct ProximityModel: Codable, Sendable, Equatable {
    /// The fade curve beyond the conversational distance (`d` the distance, `c` the
    /// conversational distance, `a` the audible distance, `f` the fade intensity).
    public enum Rolloff: String, Codable, Sendable, CaseIterable {
        /// 1 anywhere within the audible distance.
        case none
        /// `c / (c + f·(d − c))`: the realistic one (Vivox's default).
        case inverseByDistance
        /// `1 − f·(d − c)/(a − c)`, floored at 0: reaches 0 at the audible distance when `f` is 1.
        case linearByDistance
        /// `(d / c)^(−f)`.
        case exponentialByDistance
    }

    /// Beyond this nobody is heard (and pairs link within it). Default 40.
    public let audibleDistance: Double
    /// Within this, full volume. Default 4.
    public let conversationalDistance: Double
    /// How fast the fade falls (> 0). Default 1.
    public let fadeIntensity: Double
    public let model: Rolloff
    /// How far beyond `audibleDistance` a linked pair stays linked (≥ 0). Default 6.
    public let hysteresis: Double

    /// Throws ``VoiceError/badConfig(_:)`` unless all values are finite, `conversationalDistance`
    /// > 0, `audibleDistance` > `conversationalDistance`, `fadeIntensity` > 0 and `hysteresis` ≥ 0.
    public init(audibleDistance: Double = 40, conversationalDistance: Double = 4, fadeIntensity: Double = 1,
                model: Rolloff = .inverseByDistance, hysteresis: Double = 6) throws(VoiceError) {
        guard [audibleDistance, conversationalDistance, fadeIntensity, hysteresis].allSatisfy(\.isFinite) else {
            throw VoiceError.badConfig("values must be finite")
        }
        guard conversationalDistance > 0 else { throw VoiceError.badConfig("conversationalDistance must be > 0") }
        guard audibleDistance > conversationalDistance else {
            throw VoiceError.badConfig("audibleDistance must be > conversationalDistance")
        }
        guard fadeIntensity > 0 else { throw VoiceError.badConfig("fadeIntensity must be > 0") }
        guard hysteresis >= 0 else { throw VoiceError.badConfig("hysteresis must be >= 0") }
        self.audibleDistance = audibleDistance; self.conversationalDistance = conversationalDistance
        self.fadeIntensity = fadeIntensity; self.model = model; self.hysteresis = hysteresis
    }

    /// The defaults: 40 m audible, 4 m conversational, inverse fade of intensity 1, 6 m hysteresis.
    public static let standard: ProximityModel = try! ProximityModel()

    private enum CodingKeys: String, CodingKey {
        case audibleDistance, conversationalDistance, fadeIntensity, model, hysteresis
    }

    /// Decodes, then checks as ``init(audibleDistance:conversationalDistance:fadeIntensity:model:hysteresis:)``
    /// (a missing key takes its default; invalid values are a `DecodingError.dataCorrupted`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ProximityModel.standard
        do {
            try self.init(audibleDistance: c.decodeIfPresent(Double.self, forKey: .audibleDistance) ?? d.audibleDistance,
                          conversationalDistance: c.decodeIfPresent(Double.self, forKey: .conversationalDistance) ?? d.conversationalDistance,
                          fadeIntensity: c.decodeIfPresent(Double.self, forKey: .fadeIntensity) ?? d.fadeIntensity,
                          model: c.decodeIfPresent(Rolloff.self, forKey: .model) ?? d.model,
                          hysteresis: c.decodeIfPresent(Double.self, forKey: .hysteresis) ?? d.hysteresis)
        } catch let e as VoiceError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: e.description))
        }
    }

    /// The gain (0…1) of a speaker at `distance`: 1 within the conversational distance, the
    /// `model`'s fade up to the audible distance (inclusive), 0 beyond it (and for NaN).
    /// Never increases with distance.
    public func gain(distance: Double) -> Double {
        guard distance <= audibleDistance else { return 0 }
        let c = conversationalDistance
        guard distance > c else { return 1 }
        let g: Double
        switch model {
        case .none:
            g = 1
        case .inverseByDistance:
            g = c / (c + fadeIntensity * (distance - c))
        case .linearByDistance:
            g = 1 - fadeIntensity * (distance - c) / (audibleDistance - c)
        case .exponentialByDistance:
            g = pow(distance / c, -fadeIntensity)
        }
        return min(1, max(0, g))
    }

    /// Whether a pair at `distance` is linked, given whether it was: within the audible distance
    /// it links, beyond `audibleDistance + hysteresis` it unlinks, in between it stays as it was.
    public func linked(distance: Double, wasLinked: Bool) -> Bool {
        wasLinked ? distance <= audibleDistance + hysteresis : distance <= audibleDistance
    }
}
