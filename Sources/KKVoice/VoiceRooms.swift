import KKLobby
import KKVoiceCore

/// Who may talk to whom, for every match this voice service hears about: one
/// ``ProximityTracker`` per match fed by the shards' position reports, the players' parties,
/// and which players have a signalling socket. From that it tells each connected player which
/// peer connections to open or close (`connect` / `disconnect`, the lower id initiating) and
/// whom they hear at what gain (`audible`), and it authorizes every relayed signalling message.
///
/// A pair is linked when both are in one match and the tracker links them (in range, with
/// hysteresis), or when each has the other in their party (any distance, even outside a match;
/// parties are read when a socket opens and again every 15 s). A `connect` goes out only when both are connected; a
/// socket closing sends its peers a `disconnect`; a socket replacing another (same player)
/// starts over: its peers get a `disconnect`, then both sides a fresh `connect`.
actor VoiceRooms {
    struct MatchState {
        var tracker: ProximityTracker
        var positions: [Int64: KartPosition] = [:]
        var lastReportMillis: Int64
    }

    let hub: LobbyHub
    let model: ProximityModel
    private var matches: [UInt64: MatchState] = [:]
    private var matchOf: [Int64: UInt64] = [:]
    /// Each connected player's party (members, including the player), as read at connect.
    private var partyOf: [Int64: Set<Int64>] = [:]
    private var connected: Set<Int64> = []
    /// Each connected player's socket (a late close of a replaced one is ignored).
    private var sessions: [Int64: String] = [:]
    /// Pairs both sides were told to connect, by player (both directions).
    private var announced: [Int64: Set<Int64>] = [:]
    private var lastAudible: [Int64: [Speaker]] = [:]

    init(hub: LobbyHub, model: ProximityModel) { self.hub = hub; self.model = model }

    var matchCount: Int { matches.count }

    func match(of player: Int64) -> UInt64? { matchOf[player] }

    // MARK: - sockets

    /// A player's socket `session` opened (their party as the social service has it). A socket
    /// replacing a live one of the same player: its peers are told to disconnect first, then
    /// everyone gets a fresh `connect` (the new client has no peer connections).
    func connect(_ player: Int64, session: String, party: [Int64]) {
        if connected.contains(player) { dropLinks(of: player) }
        connected.insert(player)
        sessions[player] = session
        let members = Set(party + [player])
        partyOf[player] = members.count > 1 ? members : nil
        lastAudible[player] = nil
        reconcile([player] + Array(members))
    }

    /// A connected player's party as read again (someone joined or left): links follow.
    func setParty(_ player: Int64, party: [Int64]) {
        guard connected.contains(player) else { return }
        let members = Set(party + [player])
        let new: Set<Int64>? = members.count > 1 ? members : nil
        guard new != partyOf[player] else { return }
        let old = partyOf[player] ?? []
        partyOf[player] = new
        reconcile(Set([player]).union(old).union(members))
    }

    /// A player's socket `session` closed (ignored when a newer socket replaced it).
    func disconnect(_ player: Int64, session: String) {
        guard sessions[player] == session else { return }
        sessions[player] = nil
        connected.remove(player)
        partyOf[player] = nil
        lastAudible[player] = nil
        dropLinks(of: player)
    }

    /// Tells `player`'s peers to disconnect from it and forgets those links.
    private func dropLinks(of player: Int64) {
        let peers = announced.removeValue(forKey: player) ?? []
        for q in peers {
            announced[q]?.remove(player)
            send(.disconnect(peer: player), to: q)
        }
        for q in peers { sendAudible(q) }
    }

    private func isAnnounced(_ a: Int64, _ b: Int64) -> Bool { announced[a]?.contains(b) == true }

    // MARK: - positions

    /// Applies a shard's report at `nowMillis`.
    func apply(_ report: PositionReport, nowMillis: Int64) {
        switch report {
        case .ended(let m): end(m)
        case .positions(let m, _, let karts):
            var state = matches[m] ?? MatchState(tracker: ProximityTracker(model: model), lastReportMillis: nowMillis)
            state.lastReportMillis = nowMillis
            var affected = Set(state.tracker.players)
            for p in karts.keys {
                if let old = matchOf[p], old != m { leave(p, match: old) }
                matchOf[p] = m
                affected.insert(p)
            }
            for p in state.tracker.players where karts[p] == nil && matchOf[p] == m { matchOf[p] = nil }
            state.positions = karts
            _ = state.tracker.update(positions: karts, parties: parties(among: karts.keys))
            matches[m] = state
            reconcile(affected)
        }
    }

    /// Matches without a report for `idleMillis` are over (their shard died without saying so,
    /// or the report channel broke): everyone in them is unlinked.
    func sweep(nowMillis: Int64, idleMillis: Int64) {
        for (m, s) in matches where nowMillis - s.lastReportMillis > idleMillis { end(m) }
    }

    private func end(_ m: UInt64) {
        guard let s = matches.removeValue(forKey: m) else { return }
        let players = s.tracker.players
        for p in players where matchOf[p] == m { matchOf[p] = nil }
        reconcile(Set(players))
    }

    /// `p` turned up in another match: it leaves `m` (the others stay where they were).
    private func leave(_ p: Int64, match m: UInt64) {
        guard var s = matches[m] else { return }
        s.positions[p] = nil
        _ = s.tracker.update(positions: s.positions, parties: parties(among: s.positions.keys))
        matches[m] = s
        reconcile(Set(s.positions.keys))
    }

    private func parties(among players: Dictionary<Int64, KartPosition>.Keys) -> [[Int64]] {
        var seen: Set<Int64> = []
        var groups: [[Int64]] = []
        for p in players where !seen.contains(p) {
            guard let party = partyOf[p] else { continue }
            let here = players.filter { party.contains($0) }
            seen.formUnion(here)
            if here.count > 1 { groups.append(here.sorted()) }
        }
        return groups
    }

    // MARK: - links

    /// Whether `a` and `b` may have a peer connection now.
    func linked(_ a: Int64, _ b: Int64) -> Bool {
        guard a != b else { return false }
        if partyOf[a]?.contains(b) == true && partyOf[b]?.contains(a) == true { return true }
        guard let m = matchOf[a], matchOf[b] == m, let s = matches[m] else { return false }
        return s.tracker.isLinked(a, b)
    }

    /// Whether `from` may send signalling to `to`: in a match (or a party) and linked.
    func authorize(from: Int64, to: Int64) throws(VoiceError) {
        guard matchOf[from] != nil || partyOf[from] != nil else { throw .notInMatch }
        guard linked(from, to), connected.contains(to) else { throw .notInRange(to) }
    }

    /// Sends connect / disconnect for every pair involving `players` whose state changed, then
    /// their audible sets when they moved.
    private func reconcile(_ players: some Sequence<Int64>) {
        let set = Set(players)
        var touched = set
        for p in set where connected.contains(p) {
            // Candidates: the match's players, the party, and whoever it is linked with now.
            var others: Set<Int64> = partyOf[p] ?? []
            if let m = matchOf[p], let s = matches[m] { others.formUnion(s.tracker.players) }
            others.formUnion(announced[p] ?? [])
            for q in others where q != p {
                let want = connected.contains(q) && linked(p, q)
                let have = isAnnounced(p, q)
                if want && !have {
                    announced[p, default: []].insert(q)
                    announced[q, default: []].insert(p)
                    let pair = VoicePair(p, q)
                    send(.connect(peer: pair.b, initiator: true), to: pair.a)
                    send(.connect(peer: pair.a, initiator: false), to: pair.b)
                } else if !want && have {
                    announced[p]?.remove(q)
                    announced[q]?.remove(p)
                    send(.disconnect(peer: q), to: p)
                    send(.disconnect(peer: p), to: q)
                }
                if want || have { touched.insert(q) }
            }
        }
        // Their audible sets, and their peers' (who may hear them at new gains).
        for p in touched where connected.contains(p) { sendAudible(p) }
    }

    /// The listener's audible set: in-match speakers at the tracker's gains, party members
    /// elsewhere at full gain; sent when it changed (a speaker came or went, a gain moved by
    /// more than ``ProximityTracker/gainStep``).
    private func sendAudible(_ p: Int64) {
        var speakers: [Speaker] = []
        if let m = matchOf[p], let s = matches[m] { speakers = s.tracker.audible(to: p).filter { connected.contains($0.player) } }
        if let party = partyOf[p] {
            for q in party where q != p && connected.contains(q) && !speakers.contains(where: { $0.player == q }) {
                speakers.append(Speaker(player: q, gain: 1))
            }
        }
        speakers.sort { $0.player < $1.player }
        guard ProximityTracker.noticeablyChanged(from: lastAudible[p] ?? [], to: speakers) else { return }
        lastAudible[p] = speakers
        send(.audible(speakers), to: p)
    }

    private func send(_ m: VoiceMessage, to player: Int64) {
        hub.connection(player)?.send(.text(m.encoded()))
    }
}
