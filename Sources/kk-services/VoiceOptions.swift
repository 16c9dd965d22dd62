import ArgumentParser
import Foundation
import KKAccessToken
import KKVoice
import KKVoiceCore
import Metrics

/// The voice service's flags: the TURN server(s) clients use and the secret they share with
/// coturn, and the proximity model.
struct VoiceOptions: ParsableArguments {
    @Option(name: .customLong("voice-turn-url"), help: "Voice: a TURN URL handed to clients, e.g. turn:127.0.0.1:3478?transport=udp (repeatable).") var turnURL: [String] = []
    @Option(name: .customLong("voice-turn-secret"), help: "Voice: coturn's static-auth-secret, at least 16 characters (default: $KK_TURN_SECRET).") var turnSecret: String?
    @Option(name: .customLong("voice-turn-seconds"), help: "Voice: lifetime of minted TURN credentials, seconds.") var turnSeconds = 600
    @Option(name: .customLong("voice-audible-distance"), help: "Voice: beyond this many metres a kart is not heard.") var audibleDistance = 40.0
    @Option(name: .customLong("voice-conversational-distance"), help: "Voice: within this many metres a kart is heard at full volume.") var conversationalDistance = 4.0
    @Option(name: .customLong("voice-hysteresis"), help: "Voice: a link made at the audible distance holds until this many metres beyond it.") var hysteresis = 6.0
    @Option(name: .customLong("voice-rolloff"), help: "Voice: distance fade: none, inverseByDistance, linearByDistance, exponentialByDistance.") var rolloff = "inverseByDistance"
    @Option(name: .customLong("voice-messages-per-second"), help: "Voice: signalling messages a socket may send per second (burst: twice as many).") var messagesPerSecond = 50.0

    func validate(enabled: Bool, redisPort: Int?) throws {
        guard enabled else { return }
        guard redisPort != nil else { throw ValidationError("--services voice needs --redis-port (the shards' position reports)") }
        guard !turnURL.isEmpty else { throw ValidationError("--services voice needs --voice-turn-url") }
        for u in turnURL where !(u.hasPrefix("turn:") || u.hasPrefix("turns:") || u.hasPrefix("stun:")) {
            throw ValidationError("--voice-turn-url '\(u)': want turn:host:port[?transport=udp]")
        }
        guard (60...86_400).contains(turnSeconds) else { throw ValidationError("--voice-turn-seconds must be 60-86400") }
        guard (1...10_000).contains(messagesPerSecond) else { throw ValidationError("--voice-messages-per-second must be 1-10000") }
        _ = try model()
    }

    func model() throws -> ProximityModel {
        guard let r = ProximityModel.Rolloff(rawValue: rolloff) else { throw ValidationError("--voice-rolloff '\(rolloff)': unknown") }
        do throws(VoiceError) {
            return try ProximityModel(audibleDistance: audibleDistance, conversationalDistance: conversationalDistance, model: r, hysteresis: hysteresis)
        } catch { throw ValidationError("voice proximity model: \(error)") }
    }

    func service(verifier: AccessTokenVerifier, metricsFactory: any MetricsFactory,
                 partyOf: (@Sendable (Int64) async -> [Int64])?) throws -> VoiceService {
        guard let secret = turnSecret ?? ProcessInfo.processInfo.environment["KK_TURN_SECRET"], secret.count >= 16 else {
            throw ValidationError("voice: pass --voice-turn-secret or set KK_TURN_SECRET (at least 16 characters)")
        }
        var config = VoiceConfig(turnURLs: turnURL, turnSecret: secret)
        config.turnSeconds = turnSeconds
        config.model = try model()
        config.messagesPerSecond = messagesPerSecond
        return VoiceService(config: config, verifier: verifier, metricsFactory: metricsFactory, partyOf: partyOf)
    }
}
