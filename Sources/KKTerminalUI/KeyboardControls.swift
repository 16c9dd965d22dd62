import KKPhysics

/// Held-key state from key presses. Terminals send no key-up events, only presses and
/// auto-repeat, so a key counts as held for `holdMillis` after its last press (longer than
/// the usual auto-repeat interval of ~30-50 ms; the first repeat comes after ~250-500 ms, so
/// the first press holds `firstHoldMillis`).
public struct KeyboardControls: Sendable {
    public var holdMillis: UInt64 = 120
    public var firstHoldMillis: UInt64 = 550
    private var lastPress: [UInt64?] = [nil, nil, nil, nil, nil, nil]
    private var firstPress: [UInt64?] = [nil, nil, nil, nil, nil, nil]
    /// Set once `q` (or Ctrl-C) was pressed.
    public private(set) var quitRequested = false
    private var decoder = KeyDecoder()
    private var keys: [Key] = []

    public init() {}

    private static func index(_ k: Key) -> Int? {
        switch k {
        case .up: 0
        case .down: 1
        case .left: 2
        case .right: 3
        case .drift: 4
        case .boost: 5
        case .quit: nil
        }
    }

    /// Raw bytes read from the terminal at `nowMillis`.
    public mutating func feed(_ bytes: some Sequence<UInt8>, nowMillis: UInt64) {
        keys.removeAll(keepingCapacity: true)
        decoder.feed(bytes, into: &keys)
        for k in keys {
            guard let i = Self.index(k) else { quitRequested = true; continue }
            if !isHeld(i, nowMillis: nowMillis) { firstPress[i] = nowMillis }
            lastPress[i] = nowMillis
        }
    }

    private func isHeld(_ i: Int, nowMillis: UInt64) -> Bool {
        guard let last = lastPress[i], let first = firstPress[i] else { return false }
        let hold = last == first ? firstHoldMillis : holdMillis
        return nowMillis <= last + hold
    }

    /// The kart input for the keys held at `nowMillis`.
    public func input(nowMillis: UInt64) -> KartInput {
        var buttons: UInt8 = 0
        if isHeld(0, nowMillis: nowMillis) { buttons |= KartInput.accelerate }
        if isHeld(1, nowMillis: nowMillis) { buttons |= KartInput.brake }
        if isHeld(4, nowMillis: nowMillis) { buttons |= KartInput.drift }
        if isHeld(5, nowMillis: nowMillis) { buttons |= KartInput.useItem }
        var steer = 0
        if isHeld(2, nowMillis: nowMillis) { steer += 127 }    // positive = left
        if isHeld(3, nowMillis: nowMillis) { steer -= 127 }
        return KartInput(buttons: buttons, steer: Int8(steer))
    }
}
