import Glibc
import KKClientSDK
import KKPhysics
import KKTerminalUI

/// After a race played as an account: the results screen (the recorded result, the track's
/// board, the reward) from the services, waiting a little for the results service to record
/// the race. Headless: the same lines on stdout.
enum ResultsApp {
    static func show(servicesURL: String, session: AuthSession, matchId: UInt64, track: String, headless: Bool, waitSeconds: Double = 20) {
        var screen = ResultsScreen(me: session.accountId, matchId: matchId, track: track)
        let results = ResultsClient(baseURL: servicesURL), store = StoreClient(baseURL: servicesURL)
        let deadline = ContinuousClock.now + .milliseconds(Int(waitSeconds * 1000))
        while true {
            do throws(AuthClientError) {
                let r = try results.result(matchId: Int64(bitPattern: matchId))
                screen.verified = r.verified
                screen.unverifiedReason = r.unverifiedReason
                let countdown = Int(RaceRules(laps: UInt8(clamping: max(r.laps, 1))).countdownTicks)
                screen.racers = r.entries.filter { $0.playerId != nil }.sorted { ($0.place ?? 99, $0.slot) < ($1.place ?? 99, $1.slot) }.map {
                    .init(place: $0.place, playerId: $0.playerId, raceTicks: $0.place != nil ? $0.finishTick - countdown : nil, status: $0.status)
                }
                break
            } catch {
                // Not recorded yet (the route's own 404): wait; anything else: say so.
                if case .refused(404, "not_found") = error, ContinuousClock.now < deadline {
                    usleep(500_000)
                    continue
                }
                screen.note = "result: \(error.message)"
                break
            }
        }
        do throws(AuthClientError) {
            screen.top = try results.board(track: track, scope: .top, limit: 5).rows.map { .init(rank: $0.rank, playerId: $0.playerId, bestTicks: $0.bestTicks) }
            screen.aroundMe = try results.board(track: track, scope: .around(session.accountId), limit: 1).rows
                .map { .init(rank: $0.rank, playerId: $0.playerId, bestTicks: $0.bestTicks) }
        } catch { screen.note = "leaderboard: \(error.message)" }
        if let w = try? store.wallet(session) {
            screen.balance = w.balance
            screen.reward = w.recent.first { $0.kind == "reward" && ($0.reason ?? "").hasPrefix("match \(matchId) ") }?.amount
        }
        let lines = screen.render()
        guard !headless, (try? Terminal.enter()) != nil else {
            for l in lines { ClientApp.line(l) }
            return
        }
        Terminal.write(AnsiScreen.frame(lines))
        var key: UInt8 = 0
        _ = read(0, &key, 1)
        Terminal.restore()
    }
}
