/// One voice a listener hears, and how loud: 1 is full volume, values in between fade with
/// distance (``ProximityModel/gain(distance:)``). Listeners only ever get speakers with a gain
/// above 0.
public struct Speaker: Codable, Sendable, Equatable {
    public var player: Int64
    public var gain: Double

    public init(player: Int64, gain: Double) {
        self.player = player; self.gain = gain
    }
}
