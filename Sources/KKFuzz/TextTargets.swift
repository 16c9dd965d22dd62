import Foundation
import KKConfig
import KKLoad
import KKRelayCore
import KKShardCore
import KKToken
import KKWire

/// Targets for text and sealed bytes: connect tokens (the DTLS PSK identity), cluster events
/// (Redis pub/sub), config files and load scenarios.
enum TextTargets {
    static let all: [FuzzTarget] = [connectToken, clusterEvent, relayConfig, shardConfig, scenario]

    /// Sorted keys: the same seed bytes on every run (Linux's key order is not stable).
    static var sortedJSON: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return e
    }

    static let tokenKey = try! TokenKey(bytes: (0..<32).map { UInt8($0) })
    static let now: UInt64 = 1_800_000_000

    /// The PSK identity as a relay's DTLS callback gets it (base64url text), and the same bytes
    /// as the binary sealed form.
    static let connectToken = FuzzTarget(
        name: "connect-token", summary: "PSK identities into TokenValidator.validate(text:) and validate(sealed:)",
        seeds: {
            // Sealed with fixed nonces: the same seeds on every run (the committed corpus).
            guard let issuer = try? TokenIssuer(key: tokenKey) else { return [] }
            return [(42, 9, 45), (7, 1, 5)].compactMap { (p: UInt64, m: UInt64, s: UInt64) in
                let token = PrivateToken(playerId: p, matchId: m, createTime: now, expireTime: now + s, kind: .connect,
                                         clientKey: (0..<32).map { UInt8(truncatingIfNeeded: Int(p) + $0) })
                return (try? issuer.seal(token, nonce: (0..<12).map { UInt8(truncatingIfNeeded: Int(m) + $0) }))
                    .map { Array(Base64URL.encode($0).utf8) }
            }
        }) { (raw) throws(FuzzViolation) in
            guard let validator = try? TokenValidator(keys: [tokenKey]) else { throw FuzzViolation("connect-token", "no validator") }
            let text = try? validator.validate(text: raw, now: now + 1)
            let sealed = try? validator.validate(sealed: raw, now: now + 1)
            if let t = text, t.expireTime <= now + 1 { throw FuzzViolation("connect-token", "an expired token validated") }
            return text != nil || sealed != nil ? .accepted : .rejected
        }

    /// One message of the cluster's event channel; a parsed event prints and parses to itself.
    static let clusterEvent = FuzzTarget(
        name: "cluster-event", summary: "event channel messages into ClusterEvent(parsing:); text round trip",
        seeds: {
            [ClusterEvent.alloc(matchId: 9, shard: "shard-a"), .owner(matchId: 9, shard: "shard-b"), .over(matchId: 9),
             .join(shard: "shard-a"), .drain(shard: "shard-a"), .leave(shard: "shard-a"), .racing(playerId: 42, matchId: 9)]
                .map { Array($0.text.utf8) }
        }) { (raw) throws(FuzzViolation) in
            guard let e = ClusterEvent(parsing: raw) else { return .rejected }
            guard ClusterEvent(parsing: Array(e.text.utf8)) == e else {
                throw FuzzViolation("cluster-event", "\(e) does not survive its text form \(e.text)")
            }
            return .accepted
        }

    static let relayConfig = configTarget("relay-config", RelayConfig(), seedFile: "Config/relay.json") { $0.validate() }
    static let shardConfig = configTarget("shard-config", ShardConfig(), seedFile: "Config/shard.json") { $0.validate() }

    /// A load scenario file, decoded and validated as kk-load does.
    static let scenario = FuzzTarget(
        name: "scenario", summary: "scenario files into Scenario.load and validate()",
        seedFiles: ["LoadTests/scenarios/smoke.json", "LoadTests/scenarios/chaos.json", "LoadTests/scenarios/net-250ms-15pct.json"],
        seeds: { [(try? sortedJSON.encode(Scenario())).map { Array($0) } ?? []] }) { (raw) throws(FuzzViolation) in
            guard let s = try? Scenario.load(Data(raw)) else { return .rejected }
            _ = s.validate()
            return .accepted
        }

    /// A process's config file read over its defaults, then validated, as kk-relay and
    /// kk-shard do at start-up.
    static func configTarget<C: Codable & Sendable>(_ name: String, _ defaults: C, seedFile: String,
                                                   validate: @escaping @Sendable (C) -> [String]) -> FuzzTarget {
        FuzzTarget(name: name, summary: "config files into ConfigFile.decode(\(C.self)) and validate()", seedFiles: [seedFile],
                   seeds: { [(try? sortedJSON.encode(defaults)).map { Array($0) } ?? []] }) { (raw) throws(FuzzViolation) in
            guard let c = try? ConfigFile.decode(C.self, data: Data(raw), over: defaults, name: name) else { return .rejected }
            _ = validate(c)
            return .accepted
        }
    }
}
