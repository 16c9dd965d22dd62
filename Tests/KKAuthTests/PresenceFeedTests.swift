import Foundation
import KKLocalStack
import KKPostgres
import KKRedis
import KKSocial
import KKTestSupport
import Logging
import PostgresNIO
import Testing

/// Presence from the shards: their `racing` and `over` events on the real Redis (the test's
/// redis-server) reach the social schema through ``RedisChannelFeed`` and ``PresenceFeed``.
@Suite(.serialized) struct PresenceFeedTests {
    let logger = Logger(label: "presence-feed-test")

    @Test func racingAndMatchOverEventsBecomePresence() async throws {
        let port = try RedisTestServer.port()
        let prefix = "pf\(UInt32.random(in: 0...UInt32.max)):"
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try SocialMigrations.set(), on: client, logger: logger)
            let store = SocialStore(client: client, logger: logger)
            let player = Int64.random(in: 1_000_000...Int64(1) << 50), friend = player + 1
            #expect(try await store.setProfile(account: player, name: "Feed\(player % 100_000)"))
            #expect(try await store.setProfile(account: friend, name: "Fan\(friend % 100_000)"))
            #expect(try await store.requestFriend(from: friend, to: player) == .requested)
            #expect(try await store.accept(me: player, from: friend))
            let feed = try RedisChannelFeed(options: .init(port: port), channel: prefix + "events")
            defer { feed.shutdown() }
            let consumer = Task { await PresenceFeed(store: store, logger: logger).consume(feed.messages) }
            let redis = try #require(RedisSync(host: "127.0.0.1", port: port))
            func presence() async throws -> SocialStore.Presence? {
                try await store.friends(me: friend).friends.first { $0.accountId == player }?.presence
            }
            // Pub/sub has no backlog: publish until the subscriber is there and the row shows it
            // (bounded: 10 s).
            let match = Int64.random(in: 1...1_000_000)
            var seen: SocialStore.Presence?
            for _ in 0..<200 {
                redis.run("PUBLISH", prefix + "events", "racing \(player) \(match)")
                redis.run("PUBLISH", prefix + "events", "garbage that is ignored")
                try await Task.sleep(for: .milliseconds(50))
                seen = try await presence()
                if seen?.state == "racing" { break }
            }
            #expect(seen?.state == "racing" && seen?.matchId == match)
            // Racing lasts longer than a heartbeat: still racing after 2 minutes without one.
            try await client.query("UPDATE social.presence SET updated_at = now() - interval '2 minutes' WHERE account_id = \(player)",
                                   logger: logger)
            #expect(try await presence()?.state == "racing")
            redis.run("PUBLISH", prefix + "events", "over \(match)")
            for _ in 0..<200 {
                try await Task.sleep(for: .milliseconds(50))
                if try await presence()?.state == "online" { break }
            }
            let after = try await presence()
            #expect(after?.state == "online" && after?.matchId == nil)
            feed.shutdown()
            let counts = await consumer.value
            #expect(counts.applied >= 2 && counts.ignored >= 1 && counts.failed == 0, "\(counts)")
        }
    }
}
