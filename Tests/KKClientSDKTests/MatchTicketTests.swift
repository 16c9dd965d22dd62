import Foundation
@testable import KKClientSDK
import KKToken
import Testing

/// What the SDK reads from the match service.
@Suite struct MatchTicketTests {
    @Test func ticketRoundTripsAndBadAnswersAreTypedErrors() throws {
        let token = try TokenIssuer(key: TokenKey.random()).issue(playerId: 5, matchId: 9, now: 1_000, validSeconds: 60,
                                                                  relays: ["127.0.0.1:7777"])
        let json = try JSONEncoder().encode(MatchTicket(token: token, matchId: 9, track: "sprint"))
        let back = try MatchTicket.decode(json: Array(json))
        #expect(back.token == token && back.matchId == 9 && back.track == "sprint")
        #expect(back.isExpired(now: 1_059) == false && back.isExpired(now: 1_060))
        #expect(throws: MatchServiceError.self) { try MatchTicket.decode(json: Array("{\"token\": 3}".utf8)) }
        #expect(throws: MatchServiceError.self) { try MatchTicket.read(file: "/nonexistent/ticket.json") }
    }

    /// Nothing listens on the port: a clear "cannot reach" error, not a hang or a crash.
    @Test func unreachableServiceSaysSo() {
        do {
            _ = try MatchService.requestMatch(baseURL: "http://127.0.0.1:1", player: "ada", timeoutMillis: 2_000)
            Issue.record("expected an error")
        } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
            #expect(error.message.contains("cannot reach the match service"))
        }
    }
}

/// Hostile HTTP answers (plain http://: a broken proxy or anyone on the path) are typed errors,
/// never a trap.
@Suite struct BlockingHTTPParseTests {
    @Test func negativeOrHugeLengthsAreRefusedNotTrapped() throws {
        let cases = [
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab\r\n0\r\n\r\n",
        ]
        for c in cases {
            let r = try? BlockingHTTP.parseResponse(Array(c.utf8))
            #expect(r == nil || r!.1.count <= 3, "\(c)")
        }
        #expect(try BlockingHTTP.parseResponse(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc".utf8)).1 == Array("ab".utf8))
    }
}
