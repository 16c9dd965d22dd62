import KKOrdering
import Testing

@Suite struct ReplayWindowTests {
    @Test func duplicatesAndWindowEdges() {
        var w = ReplayWindow()
        #expect(w.accept(1000) == .fresh)
        #expect(w.accept(1000) == .duplicate)
        // Oldest sequence still inside the window: newest - 255.
        #expect(w.accept(1000 - 255) == .fresh)
        #expect(w.accept(1000 - 255) == .duplicate)
        // Just outside: newest - 256.
        #expect(w.accept(1000 - 256) == .tooOld)
        #expect(w.accept(1001) == .fresh)
        #expect(w.accept(1001 - 256) == .tooOld)
        #expect(w.accept(999) == .fresh)
        // A jump far ahead makes everything before the new window too old.
        #expect(w.accept(5000) == .fresh)
        #expect(w.accept(1001) == .tooOld)
        #expect(w.accept(5000 - 255) == .fresh)
    }

    @Test func slotReuseIsNotADuplicate() {
        var w = ReplayWindow()
        #expect(w.accept(10) == .fresh)
        #expect(w.accept(10 + 256) == .fresh)
        // 10 now shares a slot with 266 and is exactly one window old.
        #expect(w.accept(10) == .tooOld)
        #expect(w.accept(11 + 256) == .fresh)
        #expect(w.accept(11 + 256) == .duplicate)
    }

    @Test func wrapAround() {
        var w = ReplayWindow()
        #expect(w.accept(UInt32.max - 1) == .fresh)
        #expect(w.accept(UInt32.max) == .fresh)
        #expect(w.accept(0) == .fresh)
        #expect(w.accept(5) == .fresh)
        #expect(w.accept(UInt32.max) == .duplicate)
        #expect(w.accept(UInt32.max - 2) == .fresh)
        // 5 - 256 wraps to UInt32.max - 250: exactly one window old.
        #expect(w.accept(5 &- 256) == .tooOld)
        #expect(w.accept(5 &- 255) == .fresh)
        #expect(w.check(3) == .fresh)
    }

    @Test func serialComparison() {
        #expect(Serial.isNewer(0, than: UInt32.max))
        #expect(!Serial.isNewer(UInt32.max, than: 0))
        #expect(Serial.distance(2, from: UInt32.max) == 3)
        #expect(Serial.isNewer(0x8000_0000 - 1, than: 0))
        #expect(!Serial.isNewer(0x8000_0001, than: 0))
    }
}
