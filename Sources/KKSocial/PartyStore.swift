import Foundation
import KKPostgres
import Logging
import PostgresNIO

/// Parties in the social schema: up to ``maxMembers``, one party per player, the leader invites
/// friends, invitees join, anyone leaves (the longest-standing member leads next; the last one
/// out ends the party), the leader kicks. Every change runs in one transaction under an
/// advisory lock on the party, so a party never holds more than ``maxMembers`` however many join
/// at once.
extension SocialStore {
    public static let maxMembers = 8

    /// A party as its members see it.
    public struct Party: Codable, Equatable, Sendable {
        public var partyId: Int64
        public var leader: Int64
        /// Oldest member first (the leader is one of them).
        public var members: [Player]
        public var invited: [Player]
    }

    /// What a party change did (the service maps each to a status).
    public enum PartyResult: Equatable, Sendable {
        case done
        case notInParty
        case notLeader
        case alreadyInParty
        case notInvited
        case full
        /// The invitee is not a friend of the leader (or blocks them).
        case notFriend
        case alreadyMember
    }

    /// Creates a party led by `me`; nil when `me` is in one already.
    public func createParty(me: Int64) async throws(PostgresStoreError) -> Int64? {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> Int64? in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\("party-member:\(me)"), 0))", logger: logger)
                for try await _ in try await conn.query("SELECT 1 FROM social.party_members WHERE account_id = \(me)",
                                                        logger: logger).decode(Int.self) { return nil }
                var id: Int64 = 0
                for try await p in try await conn.query("INSERT INTO social.parties (leader) VALUES (\(me)) RETURNING id",
                                                        logger: logger).decode(Int64.self) { id = p }
                try await conn.query("INSERT INTO social.party_members (account_id, party_id) VALUES (\(me), \(id))", logger: logger)
                return id
            }
        }
    }

    /// The party `me` is in, with its members and open invitations.
    public func party(of me: Int64) async throws(PostgresStoreError) -> Party? {
        try await timed { [client, logger] in
            var found: (Int64, Int64)?
            for try await row in try await client.query("""
                SELECT p.id, p.leader FROM social.party_members m JOIN social.parties p ON p.id = m.party_id WHERE m.account_id = \(me)
                """, logger: logger).decode((Int64, Int64).self) { found = row }
            guard let (id, leader) = found else { return nil }
            func players(_ q: PostgresQuery) async throws -> [Player] { try await Self.players(q, client: client, logger: logger) }
            let members = try await players("""
                SELECT m.account_id, coalesce(pr.display_name, '') FROM social.party_members m
                LEFT JOIN social.profiles pr ON pr.account_id = m.account_id WHERE m.party_id = \(id) ORDER BY m.joined_at, m.account_id
                """)
            let invited = try await players("""
                SELECT i.account_id, coalesce(pr.display_name, '') FROM social.party_invites i
                LEFT JOIN social.profiles pr ON pr.account_id = i.account_id WHERE i.party_id = \(id) ORDER BY i.created_at
                """)
            return Party(partyId: id, leader: leader, members: members, invited: invited)
        }
    }

    /// An invitation to a party.
    public struct PartyInvitation: Codable, Equatable, Sendable {
        public var partyId: Int64
        public var leader: Int64
    }

    /// Parties that invited `me`, oldest invitation first.
    public func partyInvites(of me: Int64) async throws(PostgresStoreError) -> [PartyInvitation] {
        try await timed { [client, logger] in
            var out: [PartyInvitation] = []
            for try await (party, leader) in try await client.query("""
                SELECT i.party_id, p.leader FROM social.party_invites i JOIN social.parties p ON p.id = i.party_id
                WHERE i.account_id = \(me) ORDER BY i.created_at
                """, logger: logger).decode((Int64, Int64).self) { out.append(PartyInvitation(partyId: party, leader: leader)) }
            return out
        }
    }

    /// The leader `me` invites `target` (a friend who does not block them).
    public func invite(me: Int64, target: Int64) async throws(PostgresStoreError) -> PartyResult {
        try await partyChange(of: me) { conn, logger, party, leader, count in
            guard let party else { return .notInParty }
            guard leader == me else { return .notLeader }
            func exists(_ q: PostgresQuery) async throws -> Bool {
                for try await _ in try await conn.query(q, logger: logger).decode(Int.self) { return true }
                return false
            }
            if try await exists("SELECT 1 FROM social.party_members WHERE account_id = \(target) AND party_id = \(party)") { return .alreadyMember }
            guard try await exists("SELECT 1 FROM social.friendships WHERE a = \(min(me, target)) AND b = \(max(me, target))"),
                  !(try await exists("SELECT 1 FROM social.blocks WHERE blocker = \(target) AND blocked = \(me)")) else { return .notFriend }
            guard count < Self.maxMembers else { return .full }
            try await conn.query("INSERT INTO social.party_invites (party_id, account_id) VALUES (\(party), \(target)) ON CONFLICT DO NOTHING",
                                 logger: logger)
            return .done
        }
    }

    /// `me` joins party `party`, which invited them.
    public func join(me: Int64, party: Int64) async throws(PostgresStoreError) -> PartyResult {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> PartyResult in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\("party:\(party)"), 0))", logger: logger)
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\("party-member:\(me)"), 0))", logger: logger)
                for try await _ in try await conn.query("SELECT 1 FROM social.party_members WHERE account_id = \(me)",
                                                        logger: logger).decode(Int.self) { return .alreadyInParty }
                var invited = false
                for try await _ in try await conn.query(
                    "DELETE FROM social.party_invites WHERE party_id = \(party) AND account_id = \(me) RETURNING 1",
                    logger: logger).decode(Int.self) { invited = true }
                guard invited else { return .notInvited }
                var count = 0
                for try await n in try await conn.query("SELECT count(*)::int FROM social.party_members WHERE party_id = \(party)",
                                                        logger: logger).decode(Int.self) { count = n }
                guard count < Self.maxMembers else { return .full }
                try await conn.query("INSERT INTO social.party_members (account_id, party_id) VALUES (\(me), \(party))", logger: logger)
                return .done
            }
        }
    }

    /// `me` declines party `party`'s invitation: false when there was none.
    public func declineParty(me: Int64, party: Int64) async throws(PostgresStoreError) -> Bool {
        try await timed { [client, logger] in
            for try await _ in try await client.query(
                "DELETE FROM social.party_invites WHERE party_id = \(party) AND account_id = \(me) RETURNING 1",
                logger: logger).decode(Int.self) { return true }
            return false
        }
    }

    /// `me` leaves their party (or the leader removes `target`).
    public func leaveParty(me: Int64, target: Int64? = nil) async throws(PostgresStoreError) -> PartyResult {
        try await partyChange(of: me) { conn, logger, party, leader, _ in
            guard let party else { return .notInParty }
            let who = target ?? me
            if target != nil, leader != me { return .notLeader }
            var removed = false
            for try await _ in try await conn.query(
                "DELETE FROM social.party_members WHERE account_id = \(who) AND party_id = \(party) RETURNING 1",
                logger: logger).decode(Int.self) { removed = true }
            guard removed else { return .notInParty }
            var next: Int64?
            for try await a in try await conn.query(
                "SELECT account_id FROM social.party_members WHERE party_id = \(party) ORDER BY joined_at, account_id LIMIT 1",
                logger: logger).decode(Int64.self) { next = a }
            if let next {
                if who == leader { try await conn.query("UPDATE social.parties SET leader = \(next) WHERE id = \(party)", logger: logger) }
            } else {
                try await conn.query("DELETE FROM social.parties WHERE id = \(party)", logger: logger)
            }
            return .done
        }
    }

    /// Runs `body` in a transaction locked on `me`'s party with (party, leader, member count).
    private func partyChange(of me: Int64,
                             _ body: @escaping @Sendable (PostgresConnection, Logger, Int64?, Int64, Int) async throws -> PartyResult)
        async throws(PostgresStoreError) -> PartyResult {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> PartyResult in
                var party: Int64?
                for try await p in try await conn.query("SELECT party_id FROM social.party_members WHERE account_id = \(me)",
                                                        logger: logger).decode(Int64.self) { party = p }
                guard let party else { return try await body(conn, logger, nil, 0, 0) }
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\("party:\(party)"), 0))", logger: logger)
                var leader: Int64 = 0, count = 0
                for try await (l, n) in try await conn.query("""
                    SELECT p.leader, (SELECT count(*)::int FROM social.party_members m WHERE m.party_id = p.id)
                    FROM social.parties p WHERE p.id = \(party)
                    """, logger: logger).decode((Int64, Int).self) { leader = l; count = n }
                guard leader != 0 else { return .notInParty }  // dissolved meanwhile
                return try await body(conn, logger, party, leader, count)
            }
        }
    }
}
