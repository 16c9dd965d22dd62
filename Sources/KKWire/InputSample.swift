/// One tick of one player's controls: a button bitmask and a steering value (-127...127).
/// On the wire it is 16 bits: buttons in the low byte, steer in the high byte.
public struct InputSample: Equatable, Hashable, Sendable {
    public var buttons: UInt8
    public var steer: Int8

    @inlinable
    public init(buttons: UInt8 = 0, steer: Int8 = 0) {
        self.buttons = buttons
        self.steer = steer
    }

    /// The 16-bit wire form.
    @inlinable
    public var raw: UInt16 { UInt16(buttons) | (UInt16(UInt8(bitPattern: steer)) << 8) }

    @inlinable
    public init(raw: UInt16) {
        self.buttons = UInt8(truncatingIfNeeded: raw)
        self.steer = Int8(bitPattern: UInt8(truncatingIfNeeded: raw >> 8))
    }

    /// No buttons, wheel centred.
    public static let neutral = InputSample()
}
