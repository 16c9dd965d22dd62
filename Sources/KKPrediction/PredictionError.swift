/// Errors of the prediction module.
public enum PredictionError: Error, Equatable, Sendable {
    /// The local slot is not a kart of the match.
    case badLocalSlot(Int)
    /// The authoritative state has a different number of karts than the prediction.
    case playerCountMismatch
}
