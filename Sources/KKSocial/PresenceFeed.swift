import KKPostgres
import KKWire
import Logging

/// Presence fed by the shards: their cluster events (`racing <player> <match>` when a player
/// joins a match, `over <match>` when it ends) become "racing" (with the match) and, at the
/// end, "online" for the match's players. Racing presence lasts until the match's `over` (or
/// ``SocialStore/racingPresenceSeconds``), not the 90 s of a client's heartbeat. Events that fail
/// to store (PostgreSQL down) are dropped and counted: presence is best effort and the next
/// event or heartbeat repairs it.
public struct PresenceFeed: Sendable {
    public let store: SocialStore
    public let logger: Logger

    public init(store: SocialStore, logger: Logger) { self.store = store; self.logger = logger }

    /// Applies events until `messages` ends; returns (applied, ignored, failed).
    @discardableResult
    public func consume(_ messages: AsyncStream<[UInt8]>) async -> (applied: Int, ignored: Int, failed: Int) {
        var applied = 0, ignored = 0, failed = 0
        for await payload in messages {
            do throws(PostgresStoreError) {
                switch ClusterEvent(parsing: payload) {
                case .racing(let p, let m)?:
                    guard let player = Int64(exactly: p), let match = Int64(exactly: m), player > 0 else { ignored += 1; continue }
                    try await store.setPresence(me: player, state: "racing", matchId: match)
                case .over(let m)?:
                    guard let match = Int64(exactly: m) else { ignored += 1; continue }
                    try await store.matchOver(match)
                default:
                    ignored += 1
                    continue
                }
                applied += 1
            } catch {
                failed += 1
                if failed == 1 || failed % 100 == 0 { logger.warning("presence: \(failed) events not stored: \(error)") }
            }
        }
        return (applied, ignored, failed)
    }
}
