import Foundation
import Glibc
import KKClientSDK
import KKLobbyCore
import KKTerminalUI

/// The lobby before the race: the lobby screen (``LobbyScreen``) on the terminal, or, headless,
/// a scripted walk (create / join by code / quick join / quick play, vote, ready) with one line
/// per event. Ends with the race's ticket when the lobby sends it, or nil when the player quit
/// or the socket closed for good.
enum LobbyApp {
    struct Script {
        var create = false
        var isPublic = false
        var join: String?
        var quickJoin = false
        var queue = false
        var ready = false
        var vote: String?
        var isEmpty: Bool { !create && join == nil && !quickJoin && !queue }
    }

    /// The ticket, and the exact track version the race is pinned to (when the lobby pins one).
    /// With an asset cache, every lobby message goes by it (the countdown's track is prefetched).
    static func run(url: String, session: AuthSession, pings: [String: Int], headless: Bool, script: Script,
                    assets: AssetCache?) -> (MatchTicket, String?)? {
        let lobby = LobbyClient(url: url, accessToken: session.accessToken)
        lobby.connect()
        defer { lobby.close() }
        let observe: (LobbyMessage) -> Void = { m in
            guard let assets, let id = assets.observe(m) else { return }
            if headless, !announced.contains(id) { announced.insert(id); ClientApp.line("assets: prefetching \(id)") }
        }
        let ticket = headless ? scripted(lobby, script: script, pings: pings, observe: observe)
            : interactive(lobby, me: session.accountId, pings: pings, script: script, observe: observe)
        return ticket
    }

    nonisolated(unsafe) private static var announced: Set<String> = []

    private static func pinned(_ m: LobbyMessage) -> (MatchTicket, String?)? {
        ticket(m).map { ($0, m.match?.trackSha256) }
    }

    private static func ticket(_ m: LobbyMessage) -> MatchTicket? {
        m.match.map { MatchTicket(token: $0.token, matchId: $0.matchId, track: $0.track) }
    }

    private static func scripted(_ lobby: LobbyClient, script: Script, pings: [String: Int],
                                 observe: (LobbyMessage) -> Void) -> (MatchTicket, String?)? {
        var readied = false
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            guard let e = lobby.next(timeoutMillis: 1_000) else { continue }
            switch e {
            case .reconnecting(let n, let reason): ClientApp.line("lobby: reconnecting (\(n)): \(reason)")
            case .closed(let code, let reason):
                ClientApp.errorLine("lobby: closed (\(code)): \(reason)")
                return nil
            case .message(let m):
                observe(m)
                switch m.type {
                case "hello":
                    ClientApp.line("lobby: connected as player \(m.account ?? 0)")
                    if script.create { lobby.send(LobbyCommand(op: .create, isPublic: script.isPublic)) }
                    if let code = script.join { lobby.send(LobbyCommand(op: .join, code: code)) }
                    if script.quickJoin { lobby.send(LobbyCommand(op: .quickJoin)) }
                    if script.queue { lobby.send(LobbyCommand(op: .queue, pings: pings)) }
                case "room":
                    guard let r = m.room else { break }
                    ClientApp.line("lobby: room \(r.code.map { "code \($0)" } ?? "public") \(r.members.count)/\(r.seats) \(r.phase)"
                                   + (m.events ?? []).map { " \($0.kind)" }.joined())
                    if !readied {
                        readied = true
                        if let v = script.vote { lobby.send(LobbyCommand(op: .vote, track: v)) }
                        if script.ready { lobby.send(LobbyCommand(op: .ready, ready: true)) }
                    }
                case "error": ClientApp.errorLine("lobby: \(m.code ?? "error"): \(m.message ?? "")")
                case "queue": ClientApp.line("lobby: quick play \(m.queue?.state ?? "?")")
                case "match":
                    ClientApp.line("lobby: race found, match \(m.match?.matchId ?? 0) on \(m.match?.track ?? "?")")
                    return pinned(m)
                default: break
                }
            }
        }
        return nil
    }

    private static func interactive(_ lobby: LobbyClient, me: Int64, pings: [String: Int], script: Script,
                                    observe: (LobbyMessage) -> Void) -> (MatchTicket, String?)? {
        do { try Terminal.enter() } catch {
            ClientApp.errorLine("kk-client: \(error)")
            return nil
        }
        defer { Terminal.restore() }
        var screen = LobbyScreen(me: me, pings: pings)
        var buf = [UInt8](repeating: 0, count: 64)
        var lastDraw = ""
        while true {
            let n = read(0, &buf, buf.count)
            if n > 0 {
                for b in buf[0..<n] {
                    switch screen.key(b) {
                    case .quit?: return nil
                    case .send(let cmd)?: lobby.send(cmd)
                    case nil: break
                    }
                }
            }
            if let e = lobby.next(timeoutMillis: 50) {
                switch e {
                case .message(let m):
                    observe(m)
                    screen.apply(m)
                    if m.type == "match" { return pinned(m) }
                case .reconnecting(let attempt, _):
                    screen.apply(LobbyMessage(type: "error", message: "lobby connection lost; reconnecting (\(attempt))..."))
                case .closed(_, let reason):
                    Terminal.restore()
                    ClientApp.errorLine("kk-client: the lobby closed the connection: \(reason)")
                    return nil
                }
            }
            let frame = AnsiScreen.frame(screen.render(nowMillis: Int64(Date().timeIntervalSince1970 * 1000)))
            if frame != lastDraw { Terminal.write(frame); lastDraw = frame }
        }
    }
}
