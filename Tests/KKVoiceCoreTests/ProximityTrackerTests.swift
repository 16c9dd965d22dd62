import KKVoiceCore
import Testing

/// Links and audible sets of one match as karts move: hysteresis, parties, leavers.
@Suite struct ProximityTrackerTests {
    func at(_ x: Double, _ y: Double = 0) -> KartPosition { KartPosition(x: x, y: y) }

    @Test func twoKartsApproachingLinkExactlyOnce() {
        var t = ProximityTracker()
        var connects: [VoicePair] = []
        var linkedAt: Double?
        for step in stride(from: 100.0, through: 0, by: -0.5) {
            let c = t.update(positions: [1: at(0), 2: at(step)])
            #expect(c.disconnects.isEmpty)
            if !c.connects.isEmpty, linkedAt == nil { linkedAt = step }
            connects += c.connects
        }
        #expect(connects == [VoicePair(1, 2)])
        #expect(linkedAt == 40)
        #expect(t.isLinked(1, 2) && t.isLinked(2, 1) && !t.isLinked(1, 1))
        #expect(t.links(of: 1) == [2] && t.links(of: 2) == [1])
        #expect(t.audible(to: 1) == [Speaker(player: 2, gain: 1)])
    }

    @Test func oscillatingAroundTheCutoffDoesNotFlap() {
        var t = ProximityTracker()
        #expect(t.update(positions: [1: at(0), 2: at(39)]).connects == [VoicePair(1, 2)])
        for d in [41.0, 39, 45, 38, 46, 40, 44.9, 39.5, 46] {
            let c = t.update(positions: [1: at(0), 2: at(d)])
            #expect(c.connects.isEmpty && c.disconnects.isEmpty, "flapped at \(d)")
            #expect(t.isLinked(1, 2))
            // Linked but silent in the band: out of the audible set.
            #expect(t.audible(to: 1).map(\.player) == (d <= 40 ? [2] : []))
        }
    }

    @Test func drivingApartBeyondTheBandUnlinks() {
        var t = ProximityTracker()
        _ = t.update(positions: [1: at(0), 2: at(10)])
        var disconnects: [VoicePair] = []
        for d in stride(from: 10.0, through: 100, by: 1) {
            disconnects += t.update(positions: [1: at(0), 2: at(d)]).disconnects
            #expect(t.isLinked(1, 2) == (d <= 46))
        }
        #expect(disconnects == [VoicePair(1, 2)])
        // Coming back relinks only within the audible distance again.
        #expect(t.update(positions: [1: at(0), 2: at(0, 45)]).connects.isEmpty)
        #expect(t.update(positions: [1: at(0), 2: at(0, 40)]).connects == [VoicePair(1, 2)])
    }

    @Test func partyMembersHearEachOtherAtAnyDistance() {
        var t = ProximityTracker()
        let c = t.update(positions: [1: at(0), 2: at(1_000), 3: at(2_000)], parties: [[2, 1]])
        #expect(c.connects == [VoicePair(1, 2)])
        #expect(c.audible == [1: [Speaker(player: 2, gain: 1)], 2: [Speaker(player: 1, gain: 1)]])
        #expect(!t.isLinked(1, 3) && !t.isLinked(2, 3))
        #expect(t.update(positions: [1: at(0), 2: at(5_000), 3: at(2_000)], parties: [[1, 2]]).isEmpty)
    }

    @Test func aPlayerLeavingIsDisconnectedFromEveryone() throws {
        var t = ProximityTracker()
        _ = t.update(positions: [1: at(0), 2: at(3), 3: at(0, 3)], parties: [[1, 2]])
        #expect(t.links == [VoicePair(1, 2), VoicePair(1, 3), VoicePair(2, 3)])
        let c = t.update(positions: [1: at(0), 3: at(0, 3)], parties: [[1, 2]])
        #expect(c.connects.isEmpty)
        #expect(c.disconnects == [VoicePair(1, 2), VoicePair(2, 3)])
        #expect(c.audible == [1: [Speaker(player: 3, gain: 1)], 3: [Speaker(player: 1, gain: 1)]])
        #expect(t.links(of: 2).isEmpty && t.players == [1, 3])
        #expect(throws: VoiceError.notInMatch) { try t.authorize(from: 2, to: 1) }
        #expect(throws: VoiceError.notInRange(2)) { try t.authorize(from: 1, to: 2) }
        try t.authorize(from: 3, to: 1)
        // Everyone gone.
        #expect(t.update(positions: [:]).disconnects == [VoicePair(1, 3)])
        #expect(t.links.isEmpty)
    }

    @Test func threeKartsOneFarAwayIsNotLinked() {
        var t = ProximityTracker()
        let c = t.update(positions: [10: at(0), 20: at(8), 30: at(500, 500)])
        #expect(c.connects == [VoicePair(10, 20)])
        #expect(c.audible == [10: [Speaker(player: 20, gain: 0.5)], 20: [Speaker(player: 10, gain: 0.5)]])
        #expect(t.links(of: 30).isEmpty && t.audible(to: 30).isEmpty)
    }

    @Test func gainsAreReportedOnlyWhenTheyMoveNoticeably() {
        var t = ProximityTracker()
        _ = t.update(positions: [1: at(0), 2: at(8)])          // 0.5
        #expect(t.update(positions: [1: at(0), 2: at(8.5)]).audible.isEmpty)   // 0.4706
        #expect(t.update(positions: [1: at(0), 2: at(8.8)]).audible.isEmpty)   // 0.4545: 0.0455 from reported
        let c = t.update(positions: [1: at(0), 2: at(9)])      // 0.4444: 0.0556 from 0.5
        #expect(c.audible.keys.sorted() == [1, 2])
        #expect(abs(c.audible[1]![0].gain - 4.0 / 9.0) < 1e-12)
    }

    @Test func messagesTellTheLowerIdToInitiate() {
        var t = ProximityTracker()
        let c = t.update(positions: [5: at(0), 3: at(2)])
        let m = c.messages()
        #expect(m.count == 4)
        #expect(m[0].player == 3 && m[0].message == .connect(peer: 5, initiator: true))
        #expect(m[1].player == 5 && m[1].message == .connect(peer: 3, initiator: false))
        #expect(m[2].player == 3 && m[2].message == .audible([Speaker(player: 5, gain: 1)]))
        #expect(m[3].player == 5 && m[3].message == .audible([Speaker(player: 3, gain: 1)]))
        let gone = t.update(positions: [5: at(0)]).messages()
        #expect(gone.map(\.player) == [3, 5, 5])
        #expect(gone[0].message == .disconnect(peer: 5) && gone[1].message == .disconnect(peer: 3) && gone[2].message == .audible([]))
    }
}
