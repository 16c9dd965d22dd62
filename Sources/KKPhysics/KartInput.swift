/// One player's input for one tick: 8 button bits plus signed steering.
/// This 16-bit value is exactly what goes on the wire.
///
/// Steering is -127...127: positive turns left (counter-clockwise, heading increases),
/// negative turns right; -128 is treated as -127 by the simulation.
public struct KartInput: Equatable, Hashable, Sendable {
    /// Bit set of `KartInput.accelerate`, `.brake`, `.drift`, `.useItem`.
    public var buttons: UInt8
    /// Steering, -127...127 (positive turns left / counter-clockwise).
    public var steer: Int8

    public init(buttons: UInt8, steer: Int8) {
        self.buttons = buttons
        self.steer = steer
    }

    /// Throttle.
    public static let accelerate: UInt8 = 0x01
    /// Brake, and reverse once stopped.
    public static let brake: UInt8 = 0x02
    /// Drift (hold while steering; release for a mini-turbo).
    public static let drift: UInt8 = 0x04
    /// Use item: fires one stored boost on the rising edge.
    public static let useItem: UInt8 = 0x08
    /// Alias of `useItem`.
    public static let boost: UInt8 = useItem

    /// No buttons, no steering. Counts as idle.
    public static let neutral = KartInput(buttons: 0, steer: 0)

    /// True when `bit` is held.
    @inlinable public func has(_ bit: UInt8) -> Bool { buttons & bit != 0 }

    /// True for the neutral input (used by the idle timeout).
    @inlinable public var isNeutral: Bool { buttons == 0 && steer == 0 }

    /// Steering clamped to -127...127.
    @inlinable public var clampedSteer: Int64 { steer == Int8.min ? -127 : Int64(steer) }

    /// Packs into 16 bits: low byte buttons, high byte steer.
    @inlinable public var packed: UInt16 {
        UInt16(buttons) | (UInt16(UInt8(bitPattern: steer)) << 8)
    }

    /// Inverse of `packed`.
    @inlinable public init(packed: UInt16) {
        self.buttons = UInt8(truncatingIfNeeded: packed)
        self.steer = Int8(bitPattern: UInt8(truncatingIfNeeded: packed >> 8))
    }
}
