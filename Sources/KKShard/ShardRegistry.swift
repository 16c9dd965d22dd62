import Glibc
import KKENet
import KKLoop
import KKPhysics
import Foundation
import KKRedis
import KKResultsCore
import KKShardCore
import KKWire
import KKVoiceCore
import Logging

/// The shard's life in Redis (docs/REDIS-KEYS.md): registration with a TTL heartbeat, refusal
/// of a second process with the same id, match creation on allocation events, the ownership
/// lease of every hosted match (fencing), periodic snapshots, adoption of matches whose owner
/// died, and clean-up of finished matches. Redis down: matches keep running; registration
/// resumes when it returns. Loop-thread only.
public final class ShardRegistry {
    public let server: ShardServer
    /// Under Agones: the SDK sidecar, told what the shard does (``AgonesSDK``).
    public var agones: AgonesSDK?
    private let redis: RedisClient
    private let events: RedisSubscriber
    private let logger: Logger
    private let timer: LoopTimer
    private var lastPositions: UInt64 = 0
    /// Matches refused for a missing track version (not adopted or looked up again).
    private var refusedMatches: Set<UInt64> = []
    private let scripts = ShardRedisScripts()
    private let instance: String
    private let keys: RedisKeyspace
    private var config: ShardConfig { server.config }
    /// Epoch (fencing token) of each hosted match.
    private var epochs: [UInt64: UInt64] = [:]
    /// Joins that named a match not hosted yet, replayed once it is created.
    private var pendingJoins: [UInt64: [(JoinRequestPacket, RelayLink)]] = [:]
    /// Registered at least once and the last heartbeat succeeded.
    public private(set) var registered = false
    /// Set when Redis reports another live process with this shard id.
    public private(set) var duplicateId = false
    public private(set) var redisErrors = 0
    /// Running matches found with no owner in Redis and claimed back.
    public private(set) var leasesReclaimed = 0
    public private(set) var snapshotsWritten = 0
    public private(set) var snapshotBytes = 0
    private var lastHeartbeat: UInt64 = 0
    /// Matches hosted since the last heartbeat that counted them: still in the shard's pending set.
    private var hostedUncounted: [UInt64] = []
    private var lastAdoptScan: UInt64 = 0
    private var lastBeat: UInt64 = 0
    private var beatInFlight = false
    /// ``deregisterAndExit(code:)`` ran: no more heartbeats.
    private var leaving = false
    private var exited = false
    /// Bounds the wait for Redis at a graceful exit.
    private let exitTimer: LoopTimer
    /// Shards this one found silent (``ShardConfig/livenessMillis``) and adopted from.
    public private(set) var shardsPresumedDead = 0
    private var lastOverRetry: UInt64 = 0
    /// Ended matches whose over-and-result script has not run yet: match -> the result's JSON.
    private var pendingOvers: [UInt64: (result: String, telemetry: String)] = [:]
    /// How much of each match's input log Redis holds (written with the snapshots).
    struct StoredLog { var bytes = 0; var changes = 0 }
    private var storedLogs: [UInt64: StoredLog] = [:]
    private var snapshotsInFlight: Set<UInt64> = []
    private var oversInFlight: Set<UInt64> = []
    /// Race results put on the results stream.
    public private(set) var resultsPublished = 0
    /// Called when the shard should exit (drain finished, or a duplicate id).
    public var onExit: ((Int32) -> Void)?
    /// Test fault point (`KK_FAULTS=shard-die-before-result`): the process dies (exit 70, no
    /// clean-up) the moment a race ends, before its result is published, as a crash would.
    public var dieBeforeResult = false

    public init(server: ShardServer, loop: EventLoop, logger: Logger, prefix: String = "kk:") {
        self.server = server
        self.logger = logger
        self.keys = RedisKeyspace(prefix: prefix, cluster: server.config.redisCluster)
        let opts = RedisClient.Options(host: server.config.redisHost, port: server.config.redisPort, cluster: server.config.redisCluster)
        redis = RedisClient(loop: loop, options: opts)
        events = RedisSubscriber(loop: loop, options: opts)
        timer = LoopTimer(loop: loop)
        exitTimer = LoopTimer(loop: loop)
        var rnd = SystemRandomNumberGenerator()
        instance = String(rnd.next(), radix: 16) + "-\(getpid())"
    }

    public var redisConnected: Bool { redis.isConnected }

    /// Connects, subscribes to events, hooks the core and starts the periodic work.
    public func start() {
        redis.onStateChange = { [unowned self] up in
            if up { logger.info("redis connected"); heartbeat() } else {
                logger.warning("redis connection lost; matches keep running, registration resumes when it returns")
                registered = false
            }
        }
        redis.connect()
        events.subscribe(keys.dir("events")) { [unowned self] msg in
            if case .alloc(let mid, let sid)? = ClusterEvent(parsing: msg), sid == config.id { allocated(mid) }
        }
        events.connect()
        server.onUnknownMatch = { [unowned self] j, relay in self.holdJoin(j, from: relay) }
        server.afterTick = { [unowned self] tick in self.afterTick(tick) }
        timer.start(afterMillis: 100, repeatMillis: 100) { [unowned self] in self.periodic() }
    }

    /// Every match's kart positions for the voice service (pub/sub, best effort; off the tick
    /// path: the 100 ms housekeeping timer).
    private func publishPositions() {
        for (mid, m) in server.core.matches {
            let karts = m.simulation.state.karts
            var text = ""
            PositionReport.append(match: mid, tick: m.simulation.state.tick,
                                  karts: m.players.indices.lazy.compactMap { i -> (Int64, Double, Double)? in
                                      guard let p = m.players[i], i < karts.count else { return nil }
                                      return (Int64(truncatingIfNeeded: p), Double(karts[i].x) / 65_536, Double(karts[i].y) / 65_536)
                                  }, to: &text)
            redis.command(["PUBLISH", .string(keys.dir("positions")), .string(text)]) { _ in }
        }
    }

    /// A directory key (shards, matches' hashes, sets, streams).
    private func key(_ parts: String...) -> RedisArg { .string(keys.dir(parts.joined(separator: ":"))) }
    /// One of a match's runtime keys (owner, epoch, snap, log): the match's own hash slot.
    private func runtime(_ mid: UInt64, _ part: String) -> RedisArg { .string(keys.match(mid, part)) }

    private func periodic() {
        let now = server.loop.nowMillis
        if now >= lastHeartbeat + UInt64(config.registrationTTLMillis / 3) {
            lastHeartbeat = now
            heartbeat()
            renewLeases()
        }
        if config.livenessMillis > 0, now >= lastBeat + 100 {
            lastBeat = now
            beatAndReap()
        }
        if now >= lastAdoptScan + 1000 {
            lastAdoptScan = now
            if !server.draining { scanForAdoption() }
        }
        let ended = server.core.takeEnded()
        for e in ended { matchOver(e) }
        if config.positionsEveryMillis > 0, redis.isConnected {
            for e in ended { redis.command(["PUBLISH", .string(keys.dir("positions")), .string(PositionReport.ended(match: e.result.matchId).text)]) { _ in } }
            if now >= lastPositions + UInt64(config.positionsEveryMillis) { lastPositions = now; publishPositions() }
        }
        if now >= lastOverRetry + 1000 { lastOverRetry = now; flushOvers() }
        // Presence: who is racing where (the platform services listen; best effort, pub/sub).
        for j in server.core.takeJoinedPlayers() {
            logger.info(j.mode == .resume ? "player resumed" : "player joined",
                        metadata: traced(["player": "\(j.playerId)", "match": "\(j.matchId)"], j.trace))
            if redis.isConnected { publish(.racing(playerId: j.playerId, matchId: j.matchId)) }
        }
        if server.draining && server.core.matches.isEmpty { deregisterAndExit(code: 0) }
    }

    // MARK: registration

    private func heartbeat() {
        guard redis.isConnected, !leaving else { return }
        let players = server.core.matches.values.reduce(0) { $0 + $1.playerCount }
        let addr = config.advertiseAddress ?? "\(config.enetHost):\(server.port)"
        let args: [RedisArg] = [.string(instance), .int(Int64(config.registrationTTLMillis)), .string(config.id),
                                "addr", .string(addr), "capacity", .int(Int64(config.maxMatches)),
                                "matches", .int(Int64(server.core.matches.count)), "players", .int(Int64(players)),
                                "draining", .int(server.draining ? 1 : 0), "pid", .int(Int64(getpid())),
                                "admin", .string("127.0.0.1:\(config.adminPort)"),
                                // The track versions hosted here: the allocator places pinned matches by them.
                                "tracks", .string(server.core.library.hashes.joined(separator: " "))]
        let wasRegistered = registered
        let counted = hostedUncounted
        hostedUncounted = []
        scripts.register.run(on: redis, keys: [key("shard", config.id), key("shards")], args: args) { [unowned self] r in
            if case .integer(1) = r {
                if !counted.isEmpty { redis.command(["ZREM", key("shard", config.id, "pending")] + counted.map { .string("\($0)") }) { _ in } }
            } else {
                hostedUncounted += counted
            }
            switch r {
            case .integer(1):
                registered = true
                if !wasRegistered {
                    logger.info("registered in redis", metadata: ["shard": "\(config.id)", "addr": "\(addr)"])
                    publish(.join(shard: config.id))
                }
            case .integer(0):
                duplicateId = true
                registered = false
                logger.error("another live shard is registered with id \(config.id); refusing to run with a duplicate id")
                finishExit(3)
            default:
                redisErrors += 1
                registered = false
            }
        }
    }

    private func publish(_ event: ClusterEvent) {
        redis.command(["PUBLISH", .string(keys.dir("events")), .string(event.text)]) { _ in }
    }

    /// Deregisters (the hash, the set, the liveness entry, unless another process holds the
    /// id), announces the leave, and asks to exit once Redis answered, or after
    /// ``exitDeadlineMillis`` whatever Redis does (at once when it is unreachable). The periodic
    /// work stops first: a heartbeat sent after the removal would register the shard again.
    /// Called again meanwhile (a second drain check), it does nothing.
    public func deregisterAndExit(code: Int32) {
        guard !leaving else { return }
        leaving = true
        timer.stop()
        guard redis.isConnected, !duplicateId else { return finishExit(code) }
        registered = false
        exitTimer.start(afterMillis: Self.exitDeadlineMillis) { [unowned self] in
            logger.warning("redis did not answer the deregistration in \(Self.exitDeadlineMillis) ms; exiting (the entry expires with its TTL)")
            finishExit(code)
        }
        // The exit waits for the script's own reply: a NOSCRIPT fallback (a Redis restarted or
        // failed over since the last run) is sent after it, and the loop stops at the exit.
        let keys = [key("shard", config.id), key("shards"), key("shards", "alive")]
        scripts.deregister.run(on: redis, keys: keys, args: [.string(instance), .string(config.id)]) { [unowned self] r in
            guard case .integer(1) = r else { return finishExit(code) }
            redis.command(["PUBLISH", .string(self.keys.dir("events")), .string(ClusterEvent.leave(shard: config.id).text)]) { [unowned self] _ in
                finishExit(code)
            }
        }
    }

    /// How long a graceful exit waits for Redis to answer the deregistration, ms.
    static let exitDeadlineMillis: UInt64 = 2_000

    /// Asks to exit, once.
    private func finishExit(_ code: Int32) {
        guard !exited else { return }
        exited = true
        exitTimer.stop()
        onExit?(code)
    }

    /// Starts draining: no new matches, running ones finish, then deregister and exit.
    public func drain() {
        guard !server.draining else { return }
        server.draining = true
        logger.info("draining: no new matches; exiting when \(server.core.matches.count) running matches end")
        publish(.drain(shard: config.id))
        heartbeat()
    }

    // MARK: matches

    private func allocated(_ mid: UInt64) {
        guard !server.draining else {
            logger.warning("draining: refusing match \(mid) allocated to this shard (another shard will adopt it)")
            return
        }
        // The allocation names the track (a lobby room's vote): read it, then host the match.
        redis.command(["HMGET", key("match", "\(mid)"), "track", "trace"]) { [unowned self] r in
            guard case .array(let f) = r, f.count == 2 else { return createAllocated(mid, track: nil, trace: nil) }
            createAllocated(mid, track: f[0].text, trace: f[1].text)
        }
    }

    private func createAllocated(_ mid: UInt64, track: String?, trace: String?) {
        guard server.core.matches[mid] == nil else { replayPendingJoins(mid); return }
        do {
            try server.core.createMatch(id: mid, seed: mid, track: track)
            epochs[mid] = epochs[mid] ?? 1
            // No longer "allocated but not hosted" for the allocator's capacity check, once a
            // heartbeat has counted it in `matches` (until then it counts as pending).
            hostedUncounted.append(mid)
            logger.info("match created", metadata: traced(["match": "\(mid)"], trace))
        } catch ShardError.trackMissing(let ref) {
            // Another shard with that track version may adopt it once the lease is given up.
            logger.error("refusing allocated match \(mid): this shard lacks track \(ref); giving the lease up")
            refuse(mid)
        } catch {
            logger.error("cannot host allocated match \(mid): \(error)")
        }
        replayPendingJoins(mid)
    }

    /// A join for a match this shard does not host: ask Redis whether it is ours. A match the
    /// directory says is over is never created again (a player resuming after its race ended
    /// and was removed here, say through another relay after a relay died): the join is refused
    /// with "match over", so the player learns the race ended instead of waiting for a race.
    private func lookUp(matchId mid: UInt64) -> Bool {
        guard redis.isConnected, !refusedMatches.contains(mid) else { return false }
        redis.command(["HMGET", key("match", "\(mid)"), "shard", "track", "trace", "state"]) { [unowned self] r in
            guard case .array(let f) = r, f.count == 4 else { replayPendingJoins(mid); return }
            if f[3].text == "over" { return refusePendingJoins(mid, .matchOver) }
            guard f[0].text == config.id, !server.draining else { replayPendingJoins(mid); return }
            createAllocated(mid, track: f[1].text, trace: f[2].text)
        }
        return true
    }

    /// Holds a join for a match not hosted here while Redis is asked whether it is ours;
    /// false (refuse now) when Redis is unreachable.
    private func holdJoin(_ j: JoinRequestPacket, from relay: RelayLink) -> Bool {
        guard redis.isConnected else { return false }
        let first = pendingJoins[j.matchId] == nil
        pendingJoins[j.matchId, default: []].append((j, relay))
        if first { _ = lookUp(matchId: j.matchId) }
        return true
    }

    private func replayPendingJoins(_ mid: UInt64) {
        guard let list = pendingJoins.removeValue(forKey: mid) else { return }
        for (j, relay) in list { server.replayJoin(j, from: relay) }
    }

    private func refusePendingJoins(_ mid: UInt64, _ result: JoinReplyPacket.Result) {
        guard let list = pendingJoins.removeValue(forKey: mid) else { return }
        for (j, relay) in list { server.refuseJoin(j, from: relay, result: result) }
    }

    private func renewLeases() {
        guard redis.isConnected else { return }
        for mid in server.core.matches.keys {
            scripts.renew.run(on: redis, keys: [runtime(mid, "owner")],
                              args: [.string(config.id), .int(Int64(config.ownershipTTLMillis))]) { [unowned self] r in
                if case .integer(2) = r {
                    claimBack(mid)
                } else if case .integer(0) = r {
                    lostOwnership(mid)
                } else if r.isError { redisErrors += 1 }
            }
        }
    }

    /// Someone else holds the lease (we were partitioned and it was adopted), or the directory
    /// says the match is over: stop.
    private func lostOwnership(_ mid: UInt64, because reason: String = "another shard holds its lease") {
        guard server.core.matches[mid] != nil else { return }
        logger.warning("lost ownership of match \(mid) (\(reason)); dropping it")
        server.core.dropMatch(id: mid)
        epochs[mid] = nil; storedLogs[mid] = nil
    }

    /// A running match with no owner in Redis (the lease ran out unadopted, or Redis lost its
    /// data): unless the directory says it is over, the lease is taken back and the directory
    /// written again. Two steps, one per hash slot; a shard adopting it meanwhile wins the lease
    /// and this one drops the match.
    private func claimBack(_ mid: UInt64) {
        redis.command(["HGET", key("match", "\(mid)"), "state"]) { [unowned self] st in
            if st.text == "over" { return lostOwnership(mid, because: "it is over in the directory") }
            guard !st.isError else { redisErrors += 1; return }
            scripts.claim.run(on: redis, keys: [runtime(mid, "owner"), runtime(mid, "epoch")],
                              args: [.string(config.id), .int(Int64(config.ownershipTTLMillis))]) { [unowned self] c in
                guard case .integer(1) = c else {
                    if case .integer(0) = c { lostOwnership(mid) } else { redisErrors += 1 }
                    return
                }
                scripts.reclaim.run(on: redis, keys: [key("match", "\(mid)"), key("matches", "active")],
                                    args: [.string(config.id), .string("\(mid)")]) { [unowned self] d in
                    guard case .integer(1) = d else { return }
                    leasesReclaimed += 1
                    logger.warning("match \(mid) had no owner in redis (lease ran out unadopted, or redis lost its data); claimed it back")
                }
            }
        }
    }

    private func afterTick(_ tick: UInt64) {
        guard tick % UInt64(config.snapshotEveryTicks) == 0, redis.isConnected else { return }
        for (mid, m) in server.core.matches where m.started && !snapshotsInFlight.contains(mid) {
            let snap = MatchSnapshot(epoch: epochs[mid] ?? 1, players: m.players, lastAppliedSeq: m.lastAppliedSeq, state: m.state)
            let bytes = snap.encoded()
            snapshotsWritten += 1
            snapshotBytes += bytes.count
            // The input log goes with it, as far as the snapshot's tick: what Redis has is known
            // (stored), only the changes since are sent.
            var have = -1, piece = "", changes = 0
            if let log = m.log {
                let stored = storedLogs[mid] ?? StoredLog()
                have = stored.bytes
                piece = (stored.bytes == 0 ? log.headerText() : "") + log.changesText(from: stored.changes)
                changes = log.changes.count
            }
            snapshotsInFlight.insert(mid)
            scripts.snapshot.run(on: redis, keys: [runtime(mid, "owner"), runtime(mid, "snap"), runtime(mid, "log")],
                                 args: [.string(config.id), .bytes(bytes), 120_000, .int(Int64(have)), .string(piece)]) { [unowned self] r in
                snapshotsInFlight.remove(mid)
                guard case .array(let parts) = r, parts.count == 2, case .integer(let length) = parts[1] else {
                    if r.isError { redisErrors += 1 }
                    return
                }
                // (A match that ended or moved meanwhile keeps no entry.)
                guard have >= 0, server.core.matches[mid] != nil else { return }
                storedLogs[mid] = length < 0 ? StoredLog() : StoredLog(bytes: Int(length), changes: changes)
            }
        }
    }

    /// The liveness beat, and the check for silent shards: the first to see a shard silent for
    /// ``ShardConfig/livenessMillis`` adopts its matches (their leases still name it). One
    /// script, never two in flight: a silence every shard shared (Redis stalled) reports nobody.
    private func beatAndReap() {
        guard redis.isConnected, registered, !beatInFlight else { return }
        beatInFlight = true
        let args: [RedisArg] = [.string(config.id), .int(Int64(config.livenessMillis)), .int(server.draining ? 0 : 1)]
        scripts.beatAndReap.run(on: redis, keys: [key("shards", "alive")], args: args) { [unowned self] r in
            beatInFlight = false
            guard case .array(let items) = r else { return }
            for dead in items.compactMap(\.text) {
                shardsPresumedDead += 1
                logger.warning("shard presumed dead: no liveness beat for \(config.livenessMillis) ms; adopting its matches",
                               metadata: ["dead_shard": "\(dead)"])
                adoptAll(of: dead)
            }
        }
    }

    /// Adopts every running match the directory places on `dead` (as far as capacity allows;
    /// the rest wait for their leases to run out and the regular scan).
    private func adoptAll(of dead: String) {
        forEachAdoptionCandidate { [unowned self] mid in
            redis.command(["HGET", key("match", "\(mid)"), "shard"]) { [unowned self] s in
                if s.text == dead, server.core.matches.count < config.maxMatches { tryAdopt(mid, from: dead) }
            }
        }
    }

    /// Calls `body` with each running match in the directory that this shard neither hosts nor
    /// refused, while it has room for another.
    private func forEachAdoptionCandidate(_ body: @escaping (UInt64) -> Void) {
        redis.command(["SMEMBERS", key("matches", "active")]) { [unowned self] r in
            guard case .array(let items) = r else { return }
            for item in items {
                guard let text = item.text, let mid = UInt64(text), server.core.matches[mid] == nil, !refusedMatches.contains(mid) else { continue }
                guard server.core.matches.count < config.maxMatches else { return }
                body(mid)
            }
        }
    }

    private func scanForAdoption() {
        guard redis.isConnected, registered else { return }
        forEachAdoptionCandidate { [unowned self] mid in
            redis.command(["EXISTS", runtime(mid, "owner")]) { [unowned self] e in
                if case .integer(0) = e { tryAdopt(mid) }
            }
        }
    }

    /// Adopts a match whose lease expired: its hash in the directory must exist and not be over;
    /// then the lease, a new epoch, the snapshot and the log in one script on the match's slot;
    /// then the hash names this shard.
    private func tryAdopt(_ mid: UInt64, from dead: String = "") {
        redis.command(["HMGET", key("match", "\(mid)"), "state", "track", "trace"]) { [unowned self] h in
            guard case .array(let f) = h, f.count == 3, let state = f[0].text, state != "over" else { return }
            let track = f[1].text, trace = f[2].text
            scripts.adopt.run(on: redis, keys: [runtime(mid, "owner"), runtime(mid, "epoch"), runtime(mid, "snap"), runtime(mid, "log")],
                              args: [.string(config.id), .int(Int64(config.ownershipTTLMillis)), .string(dead)]) { [unowned self] r in
                guard case .array(let parts) = r, parts.count >= 1, case .integer(let epoch) = parts[0] else { return }
                redis.command(["HSET", key("match", "\(mid)"), "shard", .string(config.id)]) { _ in }
                adopt(mid, epoch: epoch, parts: parts, track: track, trace: trace)
            }
        }
    }

    /// `meta` with the trace id of a W3C `traceparent` (the match's allocation), when valid.
    private func traced(_ meta: Logger.Metadata, _ traceparent: String?) -> Logger.Metadata {
        traced(meta, traceparent.flatMap(TraceContext.init(traceparent:)), withSpan: false)
    }

    /// `meta` with a trace's ids (a join's, from the client's Hello), when there is one.
    private func traced(_ meta: Logger.Metadata, _ trace: TraceContext?, withSpan: Bool = true) -> Logger.Metadata {
        guard let t = trace else { return meta }
        var m = meta
        m["trace_id"] = "\(t.traceId)"
        if withSpan { m["span_id"] = "\(t.spanIdHex)" }
        return m
    }

    /// Gives the match's lease up (another shard may adopt it).
    private func releaseLease(_ mid: UInt64) {
        scripts.release.run(on: redis, keys: [runtime(mid, "owner")], args: [.string(config.id)]) { _ in }
    }

    /// A match this shard cannot host (its pinned track version is missing): the lease goes,
    /// the allocator's pending count forgets it, and this shard neither adopts nor looks it up
    /// again (bounded memory: forgotten after 10,000 refusals).
    private func refuse(_ mid: UInt64) {
        if refusedMatches.count >= 10_000 { refusedMatches.removeAll() }
        refusedMatches.insert(mid)
        redis.command(["ZREM", key("shard", config.id, "pending"), .string("\(mid)")]) { _ in }
        releaseLease(mid)
    }

    private func adopt(_ mid: UInt64, epoch: Int64, parts: [RedisReply], track: String?, trace: String?) {
        var adopted = false
        if parts.count > 1, case .string(let bytes) = parts[1] {
            do {
                let snap = try MatchSnapshot(decoding: bytes)
                guard server.core.matches.count < config.maxMatches else { throw ShardError.atCapacity }
                // The input log up to the snapshot's tick, when the previous owner stored it: the
                // result stays verifiable (a log that does not parse is dropped: unverified).
                var log: InputLog?
                if parts.count > 2, case .string(let text) = parts[2] {
                    log = try? InputLog(parsing: String(decoding: text, as: UTF8.self) + "ticks \(snap.state.tick)\n")
                    if log == nil { logger.warning("input log of match \(mid) unusable: its result will be unverified") }
                }
                try server.core.adoptMatch(id: mid, state: snap.state, players: snap.players, lastAppliedSeq: snap.lastAppliedSeq,
                                           track: track, log: log)
                adopted = true
                logger.notice("adopted match from snapshot",
                              metadata: traced(["match": "\(mid)", "tick": "\(snap.state.tick)", "epoch": "\(epoch)"], trace))
            } catch ShardError.trackMissing(let ref) {
                logger.error("cannot adopt match \(mid): this shard lacks track \(ref); giving the lease up")
                refuse(mid)
                return
            } catch {
                logger.error("snapshot of match \(mid) unusable: \(error); starting it fresh")
            }
        }
        if !adopted {
            do {
                try server.core.createMatch(id: mid, seed: mid, track: track)
                logger.notice("adopted match without snapshot (fresh state)", metadata: traced(["match": "\(mid)", "epoch": "\(epoch)"], trace))
            } catch {
                logger.error("cannot adopt match \(mid): \(error); giving the lease up")
                releaseLease(mid)
                return
            }
        }
        epochs[mid] = UInt64(epoch)
        publish(.owner(matchId: mid, shard: config.id))
    }

    /// A match ended: it is marked over and its result goes to the results stream, in one script
    /// (kept and retried every second while Redis does not answer).
    private func matchOver(_ e: ShardCore.Ended) {
        let mid = e.result.matchId
        if dieBeforeResult {
            logger.critical("fault point shard-die-before-result: dying before match \(mid)'s result is published")
            _exit(70)
        }
        var r = e.result, t = e.telemetry
        r.epoch = epochs[mid] ?? 1
        r.shardId = config.id
        t.epoch = r.epoch
        t.shardId = config.id
        epochs[mid] = nil; storedLogs[mid] = nil
        let json = { (data: Data?) in data.map { String(decoding: $0, as: UTF8.self) } ?? "" }
        pendingOvers[mid] = (json(try? JSONEncoder().encode(r)), json(try? JSONEncoder().encode(t)))
        flushOvers()
    }

    private func flushOvers() {
        guard redis.isConnected else { return }
        for (mid, pending) in pendingOvers where !oversInFlight.contains(mid) {
            oversInFlight.insert(mid)
            let json = pending.result
            scripts.over.run(on: redis, keys: [key("match", "\(mid)"), key("matches", "active"), key("matches", "open"),
                                               key("results"), key("telemetry")],
                             args: [.string("\(mid)"), .string(config.id), .string(json), .string(pending.telemetry)]) { [unowned self] reply in
                oversInFlight.remove(mid)
                guard !reply.isError else { redisErrors += 1; return }
                pendingOvers[mid] = nil
                releaseLease(mid)
                if !json.isEmpty { resultsPublished += 1 }
                publish(.over(matchId: mid))
            }
        }
    }

    public func close() {
        timer.stop(); timer.close()
        exitTimer.stop(); exitTimer.close()
        redis.close()
        events.close()
        onExit = nil  // the process's exit closure holds its host: no cycle outlives the loop
    }
}

