import ArgumentParser
import Foundation
import KKClient
import KKClientSDK
import KKLoop

/// `kk-client`: the terminal client a person plays (or a bot drives), and a headless mode for
/// scripts and tests. See docs/ARCHITECTURE-client.md ("kk-client").
@main
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-client",
        abstract: "Play KartKlash in an 80x24 terminal (arrows/WASD steer and throttle, space drift, b boost, q quit).",
        discussion: """
            A ticket comes from the match service (--match-url) or a token file (--token-file). \
            Exit status: 0 race finished / quit / match over / --seconds elapsed; 1 the session ended \
            with an error (handshake failed, ticket expired, timed out, removed); 2 no ticket \
            (match service unreachable or refused, unreadable token file).
            """)

    @Option(help: "Match service base URL, e.g. http://127.0.0.1:7080 (POST /v1/match).") var matchUrl: String?
    @Option(help: "Auth service base URL (kk-services), e.g. http://127.0.0.1:7090: log in (this device's account, kept in ~/.config/kartklash, mode 0600) and play as that account.") var authUrl: String?
    @Option(help: "Connect token JSON file (a ConnectToken, or the match service's answer).") var tokenFile: String?
    @Option(help: "Lobby socket, e.g. ws://127.0.0.1:7090/v1/lobby (with --auth-url): the lobby screen first (rooms, quick play), then the race.") var lobbyUrl: String?
    @Flag(help: "Lobby, headless or on opening: create a private room.") var lobbyCreate = false
    @Option(help: "Lobby: join the room with this code.") var lobbyJoin: String?
    @Flag(help: "Lobby: join any public room.") var lobbyQuickJoin = false
    @Flag(help: "Lobby: queue for quick play.") var lobbyQueue = false
    @Flag(help: "Lobby: ready up once in a room.") var lobbyReady = false
    @Option(help: "Lobby: vote for this track once in a room.") var lobbyVote: String?
    @Option(help: ArgumentHelp("An asset signing key to trust, kid:hex (repeatable; with --auth-url and --lobby-url): tracks come as verified bundles from the assets service and its CDN, prefetched while the room counts down.", valueName: "kid:hex")) var assetPublicKey: [String] = []
    @Option(help: "Asset cache directory (default: $XDG_CACHE_HOME/kartklash/assets or ~/.cache/kartklash/assets).") var assetCache: String?
    @Option(help: "Player name sent to the match service.") var player: String = ProcessInfo.processInfo.environment["USER"] ?? "player"
    @Option(help: "Track (default: the match service's answer, else oval).") var track: String?
    @Flag(help: "Drive with the built-in bot (same code path as a player).") var bot = false
    @Flag(help: "No terminal UI: one status line per second; exit 0 when the race finishes.") var headless = false
    @Option(help: "Stop after this many seconds (exit 0).") var seconds: Double?
    @Option(help: "Input packets per second: 20, 30 or 60.") var sendHz: Int = 30
    @Option(help: "Inputs per packet (1...32).") var redundancy: Int = 16
    @Option(help: "Screen refreshes per second.") var fps: Int = 30
    @Option(help: "Bot seed.") var seed: UInt64 = 1
    @Flag(inversion: .prefixedNo, help: "After a race played as an account (--auth-url): the results screen (result, track leaderboard, reward).") var showResults = true

    func validate() throws {
        if [matchUrl, tokenFile, lobbyUrl].compactMap({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --match-url, --lobby-url or --token-file")
        }
        if authUrl != nil && matchUrl == nil && lobbyUrl == nil { throw ValidationError("--auth-url goes with --match-url or --lobby-url") }
        if lobbyUrl != nil && authUrl == nil { throw ValidationError("--lobby-url needs --auth-url (the lobby knows players by their account)") }
        if let u = lobbyUrl, !(u.hasPrefix("ws://") || u.hasPrefix("wss://")) { throw ValidationError("--lobby-url must be a ws:// URL") }
        if ![20, 30, 60].contains(sendHz) { throw ValidationError("--send-hz must be 20, 30 or 60") }
        if !(1...32).contains(redundancy) { throw ValidationError("--redundancy must be 1...32") }
        if !(1...60).contains(fps) { throw ValidationError("--fps must be 1...60") }
        if let s = seconds, s <= 0 { throw ValidationError("--seconds must be > 0") }
    }

    func run() throws {
        var access: String?
        var session: AuthSession?
        if let authUrl {
            do {
                let s = try SecurePreferences(path: SecurePreferences.defaultPath()).session(using: AuthClient(baseURL: authUrl))
                access = s.accessToken
                session = s
                if headless { ClientApp.line("logged in as account \(s.accountId)") }
            } catch {
                ClientApp.errorLine("kk-client: \(error.message)")
                throw ExitCode(2)
            }
        }
        let ticket: MatchTicket
        var trackSource: String?
        do {
            if let tokenFile {
                ticket = try MatchTicket.read(file: tokenFile)
            } else if let lobbyUrl, let session, let authUrl {
                let pings = (try? LobbyRegions.measure(servicesURL: authUrl)) ?? [:]
                let script = LobbyApp.Script(create: lobbyCreate, join: lobbyJoin, quickJoin: lobbyQuickJoin, queue: lobbyQueue,
                                             ready: lobbyReady, vote: lobbyVote)
                let assets = openAssets(servicesURL: authUrl, session: session)
                guard let (t, sha) = LobbyApp.run(url: lobbyUrl, session: session, pings: pings, headless: headless, script: script,
                                                  assets: assets) else {
                    ClientApp.line("kk-client: left the lobby")
                    return
                }
                ticket = t
                if let assets, let sha { trackSource = loadTrack(assets, sha256: sha, name: t.track ?? "?") }
            } else {
                if headless { ClientApp.line("contacting the match service at \(matchUrl!)...") }
                ticket = try MatchService.requestMatch(baseURL: matchUrl!, player: player, accessToken: access)
            }
        } catch {
            ClientApp.errorLine("kk-client: \(error.message)")
            throw ExitCode(2)
        }
        var config = ClientConfig()
        config.track = track ?? ticket.track ?? "oval"
        config.trackSource = trackSource
        config.sendEveryTicks = 60 / sendHz
        config.inputRedundancy = redundancy
        let options = ClientApp.Options(bot: bot, headless: headless, seconds: seconds, fps: fps, seed: seed)
        let (code, raceOver) = try ClientApp.run(ticket: ticket, config: config, options: options)
        // A race played to its end as an account: the results screen (the result, the board, the reward).
        if code == 0, raceOver, showResults, let session, let authUrl, let matchId = ticket.matchId {
            ResultsApp.show(servicesURL: authUrl, session: session, matchId: matchId, track: config.track, headless: headless)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
