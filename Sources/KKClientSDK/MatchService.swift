import Foundation
import Glibc
import KKToken

/// What the match service (`kk-match`, `POST /v1/match`) answers, or what a token file holds.
/// A token file may hold either this object or a bare ``ConnectToken``.
public struct MatchTicket: Codable, Equatable, Sendable {
    public var token: ConnectToken
    public var matchId: UInt64?
    /// Track the match runs on, when the service says (otherwise the client's default).
    public var track: String?

    public init(token: ConnectToken, matchId: UInt64? = nil, track: String? = nil) {
        self.token = token
        self.matchId = matchId
        self.track = track
    }

    /// Decodes `{"token": {...}, "matchId": ...}` or a bare ConnectToken.
    public static func decode(json: [UInt8]) throws(MatchServiceError) -> MatchTicket {
        let data = Data(json)
        let decoder = JSONDecoder()
        if let t = try? decoder.decode(MatchTicket.self, from: data) { return t }
        do { return MatchTicket(token: try decoder.decode(ConnectToken.self, from: data), matchId: nil) } catch {
            throw .badResponse("the ticket is not a connect token (\(error))")
        }
    }

    /// Reads a token file (see ``decode(json:)``).
    public static func read(file path: String) throws(MatchServiceError) -> MatchTicket {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badResponse("cannot read token file \(path)") }
        return try decode(json: [UInt8](data))
    }

    /// True when the token's expiry has passed at `now` (Unix seconds).
    public func isExpired(now: UInt64 = UInt64(time(nil))) -> Bool { token.expireTime <= now }
}

/// Why no ticket could be had from the match service. ``message`` is for the player.
public enum MatchServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection (refused, unresolvable, timed out).
    case unreachable(String)
    /// The service answered with an error status.
    case refused(status: Int, body: String)
    /// The answer was not a ticket.
    case badResponse(String)

    public var message: String {
        switch self {
        case .unreachable(let why): "cannot reach the match service; check your connection (\(why))"
        case .refused(let status, let body):
            status == 503 || status == 429 ? "no match available right now; try again shortly (HTTP \(status))"
                : "the match service refused: HTTP \(status) \(body.prefix(120))"
        case .badResponse(let why): "the match service sent something unexpected: \(why)"
        }
    }

    public var description: String { message }
}

/// The match service's front door (``BlockingHTTP``: used once before the game starts, no event
/// loop, no extra dependency).
public enum MatchService {
    /// `POST {baseURL}/v1/match`. With `accessToken` (the auth service's, see ``AuthClient``) the
    /// account plays and `player` is ignored; without it only a kk-match started with
    /// `--dev-auth` answers, playing the name `player`.
    /// With `party` (a party ticket from ``SocialClient/partyTicket(_:)``, the leader's request)
    /// every member gets a seat in the same match; members then ask without it and get theirs.
    public static func requestMatch(baseURL: String, player: String, accessToken: String? = nil, party: String? = nil,
                                    timeoutMillis: Int = 5_000) throws(MatchServiceError) -> MatchTicket {
        let body: [UInt8]
        var fields = ["player": player]
        if let party { fields["party"] = party }
        do { body = [UInt8](try JSONEncoder().encode(fields)) } catch { throw .badResponse("\(error)") }
        let headers = accessToken.map { [("Authorization", "Bearer \($0)")] } ?? []
        let (status, reply) = try BlockingHTTP.request("POST", url: BlockingHTTP.join(baseURL, "/v1/match"), body: body,
                                                       headers: headers, timeoutMillis: timeoutMillis)
        guard (200..<300).contains(status) else { throw .refused(status: status, body: String(decoding: reply, as: UTF8.self)) }
        return try MatchTicket.decode(json: reply)
    }
}
