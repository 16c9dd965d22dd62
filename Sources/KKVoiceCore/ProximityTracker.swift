/// Who hears whom in one match, as a pure state machine: feed it the karts' positions (and the
/// parties) every so often, send out the ``ProximityChanges`` it returns.
///
/// Two players are linked (have a peer connection) when they are in the same party, whatever
/// the distance, or within the model's audible distance; a link outlives the distance up to
/// `audibleDistance + hysteresis`, so karts driving along the cutoff do not flap. A player
/// missing from the positions (left the match) is unlinked from everyone.
///
/// A listener's audible set lists the linked speakers it hears with a gain above 0: party
/// members at 1, others at ``ProximityModel/gain(distance:)``. Inside the hysteresis band a pair
/// is still linked but has gain 0, so it is out of the audible set while the connection stays
/// up, ready for when they close in again.
///
/// Cost per update: O(n²) distance checks for n players, allocations O(n) plus the result.
public struct ProximityTracker: Sendable {
    /// A gain must move more than this since it was last reported for the listener's set to be
    /// reported again (a speaker coming or going always is).
    public static let gainStep = 0.05

    public let model: ProximityModel
    private var linkSet: Set<VoicePair> = []
    /// Each listener's audible set as last reported (absent: empty).
    private var reported: [Int64: [Speaker]] = [:]
    /// Reused between updates: the audible set being built, per player index.
    private var scratch: [[Speaker]] = []
    private var ids: [Int64] = []
    private var party: [Int64: Int] = [:]
    private var gone: [VoicePair] = []

    public init(model: ProximityModel = .standard) {
        self.model = model
    }

    /// The players of the last update, sorted.
    public var players: [Int64] { ids }

    /// All links, sorted.
    public var links: [VoicePair] { linkSet.sorted() }

    public func isLinked(_ a: Int64, _ b: Int64) -> Bool {
        a != b && linkSet.contains(VoicePair(a, b))
    }

    /// Whom `player` is linked with, sorted.
    public func links(of player: Int64) -> [Int64] {
        linkSet.compactMap { $0.contains(player) ? $0.other(than: player) : nil }.sorted()
    }

    /// `player`'s audible set as last reported.
    public func audible(to player: Int64) -> [Speaker] {
        reported[player] ?? []
    }

    /// Whether `from` may signal (`offer`, `answer`, `ice`) to `to`: ``VoiceError/notInMatch``
    /// unless `from` is in the match, ``VoiceError/notInRange(_:)`` unless the two are linked.
    /// (A `bye` to a player no longer linked can be dropped: both have had a `disconnect`.)
    public func authorize(from: Int64, to: Int64) throws(VoiceError) {
        guard ids.contains(from) else { throw VoiceError.notInMatch }
        guard isLinked(from, to) else { throw VoiceError.notInRange(to) }
    }

    /// Takes the match's current positions (everyone in it) and parties (groups of players who
    /// always hear each other; groups should be disjoint: a player in several belongs to the
    /// first), and returns what changed since the last update.
    public mutating func update(positions: [Int64: KartPosition], parties: [[Int64]] = []) -> ProximityChanges {
        var changes = ProximityChanges()

        // Who left: unlinked from everyone, no longer a listener.
        gone.removeAll(keepingCapacity: true)
        for pair in linkSet where positions[pair.a] == nil || positions[pair.b] == nil {
            gone.append(pair)
        }
        for pair in gone { linkSet.remove(pair) }
        changes.disconnects.append(contentsOf: gone)
        for id in ids where positions[id] == nil { reported[id] = nil }

        ids.removeAll(keepingCapacity: true)
        ids.append(contentsOf: positions.keys)
        ids.sort()
        party.removeAll(keepingCapacity: true)
        for (index, group) in parties.enumerated() {
            for player in group where party[player] == nil { party[player] = index }
        }
        while scratch.count < ids.count { scratch.append([]) }
        for i in ids.indices { scratch[i].removeAll(keepingCapacity: true) }

        // Every pair once (i < j, so each audible set comes out sorted by speaker id).
        for i in ids.indices {
            let a = ids[i], pa = positions[a]!, partyA = party[a]
            for j in (i + 1)..<ids.count {
                let b = ids[j]
                let pair = VoicePair(a, b)
                let wasLinked = linkSet.contains(pair)
                let gain: Double
                let linked: Bool
                if let partyA, partyA == party[b] {
                    linked = true
                    gain = 1
                } else {
                    let d = pa.distance(to: positions[b]!)
                    linked = model.linked(distance: d, wasLinked: wasLinked)
                    gain = linked ? model.gain(distance: d) : 0
                }
                if linked != wasLinked {
                    if linked {
                        linkSet.insert(pair)
                        changes.connects.append(pair)
                    } else {
                        linkSet.remove(pair)
                        changes.disconnects.append(pair)
                    }
                }
                if gain > 0 {
                    scratch[i].append(Speaker(player: b, gain: gain))
                    scratch[j].append(Speaker(player: a, gain: gain))
                }
            }
        }

        for i in ids.indices where Self.noticeablyChanged(from: reported[ids[i]] ?? [], to: scratch[i]) {
            let set = scratch[i]
            reported[ids[i]] = set.isEmpty ? nil : set
            changes.audible[ids[i]] = set
        }
        changes.disconnects.sort()
        return changes
    }

    /// A speaker in or out, or a gain moved by more than ``gainStep``: when an audible set is
    /// worth sending again.
    public static func noticeablyChanged(from old: [Speaker], to new: [Speaker]) -> Bool {
        guard old.count == new.count else { return true }
        for (o, n) in zip(old, new) {
            if o.player != n.player || abs(o.gain - n.gain) > Self.gainStep { return true }
        }
        return false
    }
}
