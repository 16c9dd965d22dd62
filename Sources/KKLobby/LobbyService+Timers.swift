import Foundation
import KKLobbyCore
import KKMatch
import KKRedis
import KKToken

extension LobbyService {
    /// One round of timers and quick play (every instance runs it every ``LobbyConfig/sweepMillis``):
    /// rooms whose timer is due are ticked (held seats run out, countdowns end and races start);
    /// a race whose starter died is started again; the instance holding the forming lease forms
    /// quick-play matches and starts them.
    public func sweep(nowMillis now: Int64) async {
        let rules = config.rules
        if let due = try? await store.dueRooms(nowMillis: now) {
            for id in due {
                do throws(LobbyStoreError) {
                    let (room, events) = try await store.apply(id, nowMillis: now) { (r) throws(RoomError) in r.tick(nowMillis: now, rules: rules) }
                    await broadcast(room, events)
                    for case .start(let track, let players) in events {
                        await startRace(roomId: id, track: track, players: players)
                    }
                    if events.isEmpty, room.phase == .starting {
                        // The start lease ran out with the room still starting: its starter died.
                        await startRace(roomId: id, track: room.winningTrack(rules), players: room.accounts)
                    }
                } catch {
                    if error == .unknownRoom { await store.forgetDue(id) }
                }
            }
        }
        // After a placement failed (no shard, say) forming rests a while: no tight retry loop.
        guard now >= quickPlayPausedUntil.withLockedValue({ $0 }) else { return }
        if await queue.lease(owner: instanceId, millis: 2_000) {
            if let groups = try? await queue.formRound(nowMillis: now) {
                for g in groups { await startQuickPlay(g, nowMillis: now) }
            }
            await queue.release(owner: instanceId)
        }
    }

    /// Allocates the room's race (one private match on one shard) and pushes each member its
    /// connect token; the room then closes. Taken by one instance at a time (a lease as long as
    /// ``RoomStore/startLeaseMillis``); a failed start reopens the room with everyone un-ready.
    func startRace(roomId: String, track: String, players: [Int64]) async {
        let lease = await redis.command(["SET", .string(config.prefix + "lobby:starting:" + roomId), .string(instanceId), "NX",
                                         "PX", .int(RoomStore.startLeaseMillis)])
        guard lease == .status("OK") else { return }
        switch await place(players: players, track: track, key: "room:" + roomId) {
        case .success:
            metrics.count("races_started", "kind", "room")
            try? await store.close(roomId)
        case .failure(let r):
            metrics.count("races_started", "kind", "failed")
            logger.warning("lobby: room \(roomId) could not start: \(r.message)")
            if let (room, events) = try? await store.apply(roomId, nowMillis: Self.nowMillis(), { (r) throws(RoomError) in r.reopen() }) {
                await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "error", code: r.code, message: r.message))), to: room.accounts)
                await broadcast(room, events)
            }
            _ = await redis.command(["DEL", .string(config.prefix + "lobby:starting:" + roomId)])
        }
    }

    /// A quick-play group's race; on failure its tickets go back to the queue.
    func startQuickPlay(_ group: [Matchmaker.Ticket], nowMillis: Int64) async {
        let players = group.flatMap(\.players)
        let tracks = config.rules.tracks
        let track = tracks.isEmpty ? "oval" : tracks[Int(UInt64(bitPattern: nowMillis) % UInt64(tracks.count))]
        for t in group {
            metrics.timeToMatch.recordMilliseconds(max(0, nowMillis - t.enqueuedAtMillis))
            await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "queue", queue: QueueView(state: "matched", ticketId: t.id,
                                                                                                   region: t.region, players: t.players)))),
                           to: t.players)
        }
        switch await place(players: players, track: track, key: "mm:" + group[0].id) {
        case .success:
            metrics.count("races_started", "kind", "quick_play")
        case .failure(let r):
            metrics.count("races_started", "kind", "failed")
            quickPlayPausedUntil.withLockedValue { $0 = Self.nowMillis() + 2_000 }
            logger.warning("lobby: quick-play group could not start: \(r.message)")
            for t in group {
                try? await queue.enqueue(t)
                await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "queue", code: r.code, message: r.message,
                                                                            queue: QueueView(state: "waiting", ticketId: t.id,
                                                                                             region: t.region, players: t.players)))),
                               to: t.players)
            }
        }
    }

    /// One match for `players` (the allocator's group script, private), each one's connect token
    /// pushed to them (and kept a token's lifetime for a member who reconnects), and the relays
    /// told (`matchAssigned`) so they resolve the shard before the players arrive.
    func place(players: [Int64], track: String, key: String) async -> Result<UInt64, LobbyRefusal> {
        guard let starter else { return .failure(LobbyRefusal("start_failed", "this lobby cannot start races (no allocator configured)")) }
        let placed: (matchId: UInt64, tokens: [Int64: ConnectToken], trackSha256: String?)
        do throws(MatchError) {
            placed = try await starter.start(roomId: key, players: players, track: track, attempt: UUID().uuidString.lowercased(),
                                             nowMillis: UInt64(Self.nowMillis()))
        } catch {
            return .failure(LobbyRefusal("start_failed", "the race could not be placed: \(error)"))
        }
        for (p, token) in placed.tokens {
            var assignment = MatchAssignment(matchId: placed.matchId, track: track, token: token, players: players)
            assignment.trackSha256 = placed.trackSha256
            let text = Self.encode(LobbyMessage(type: "match", match: assignment))
            _ = await redis.command(["SET", .string(pendingMatchKey(p)), .string(text), "PX", .int(Int64(starter.matchConfig.tokenSeconds) * 1000)])
            await bus.send(LobbyWireText(text: text), to: [p])
        }
        var assigned = RelayControlMessage.command("matchAssigned")
        assigned.matchId = placed.matchId
        await bus.publish(.relay(target: "*", Self.encode(assigned)))
        return .success(placed.matchId)
    }
}
