import KKPhysics
import KKTerminalUI
import Testing

@Suite struct KeyboardTests {
    func keys(_ bytes: [UInt8]) -> [Key] {
        var d = KeyDecoder()
        var k: [Key] = []
        d.feed(bytes, into: &k)
        return k
    }

    @Test func decodesArrowsWasdAndActions() {
        #expect(keys(Array("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D".utf8)) == [.up, .down, .right, .left])
        #expect(keys(Array("\u{1B}OA\u{1B}OD".utf8)) == [.up, .left])
        #expect(keys(Array("wasdWASD b q".utf8)) == [.up, .left, .down, .right, .up, .left, .down, .right, .drift, .boost, .drift, .quit])
        #expect(keys([0x03]) == [.quit])
        // Modified arrow (Ctrl-Right), an unrelated sequence (Delete), stray bytes.
        #expect(keys(Array("\u{1B}[1;5C\u{1B}[3~xz".utf8)) == [.right])
    }

    @Test func escapeSplitAcrossReads() {
        var d = KeyDecoder()
        var k: [Key] = []
        d.feed([0x1B], into: &k)
        d.feed([UInt8(ascii: "[")], into: &k)
        #expect(k.isEmpty)
        d.feed([UInt8(ascii: "C")], into: &k)
        #expect(k == [.right])
        // A lone ESC followed by a plain key: the key still counts.
        d.feed([0x1B], into: &k)
        d.feed(Array("w".utf8), into: &k)
        #expect(k == [.right, .up])
    }

    @Test func heldKeysBecomeKartInput() {
        var c = KeyboardControls()
        c.feed(Array("\u{1B}[A\u{1B}[D ".utf8), nowMillis: 1_000)
        let i = c.input(nowMillis: 1_010)
        #expect(i.buttons == KartInput.accelerate | KartInput.drift && i.steer == 127)
        // Auto-repeat keeps it held; without repeats it is released after the hold time.
        c.feed(Array("\u{1B}[A".utf8), nowMillis: 1_500)
        #expect(c.input(nowMillis: 1_600).has(KartInput.accelerate))
        #expect(c.input(nowMillis: 1_600).steer == 0)
        #expect(c.input(nowMillis: 1_700).isNeutral)
        c.feed(Array("dab".utf8), nowMillis: 2_000)
        let j = c.input(nowMillis: 2_000)
        #expect(j.steer == 0 && j.has(KartInput.boost))
        #expect(!c.quitRequested)
        c.feed(Array("q".utf8), nowMillis: 2_100)
        #expect(c.quitRequested)
    }
}
