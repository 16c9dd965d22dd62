import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTerminalUI

/// One game: a ``GameClient`` on a libuv loop, the keyboard (or the bot) as its input, and
/// either the 80x24 screen or a status line per second. Everything runs on the loop thread.
final class ClientApp {
    struct Options {
        var bot = false
        var headless = false
        var seconds: Double?
        var fps = 30
        var seed: UInt64 = 1
    }

    let loop: EventLoop
    let options: Options
    let ticket: MatchTicket
    var client: GameClient!
    let renderer: FrameRenderer
    var controls = KeyboardControls()
    var botDriver: BotDriver?
    private var stdinPoll: LoopPoll?
    private let frameTimer: LoopTimer
    private var signals: [LoopSignal] = []
    private let startMillis: UInt64
    private var playingSinceMillis: UInt64?
    private var lastLine: (millis: UInt64, wireUp: Int, wireDown: Int)?
    private var readBuffer = [UInt8](repeating: 0, count: 256)
    private var relayChangedAt: UInt64?
    private var relayChangesSeen = 0
    private var raceDoneAt: UInt64?
    /// Set when the game is over: exit status and the words to print.
    private(set) var outcome: (code: Int32, message: String)?
    private var peakCorrectionsPerSecond = 0.0

    /// Plays the match; the exit status and whether the race was over for this player (it
    /// finished, timed out or retired, or the race ended) when the game stopped.
    static func run(ticket: MatchTicket, config: ClientConfig, options: Options) throws -> (code: Int32, raceOver: Bool) {
        let loop = try EventLoop()
        if !options.headless {
            do { try Terminal.enter() } catch {
                errorLine("kk-client: \(error)")
                return (1, false)
            }
        }
        let app: ClientApp
        do { app = try ClientApp(loop: loop, ticket: ticket, config: config, options: options) } catch {
            Terminal.restore()
            errorLine("kk-client: cannot start: \(error)")
            return (1, false)
        }
        loop.run()
        loop.updateTime()
        let summary = app.summary()
        let raceOver = app.raceDone()
        app.shutdown()
        loop.close()
        Terminal.restore()
        let (code, message) = app.outcome ?? (1, "stopped")
        if code == 0 { line("kk-client: \(message)") } else { errorLine("kk-client: \(message)") }
        line(summary)
        return (code, raceOver)
    }

    init(loop: EventLoop, ticket: MatchTicket, config: ClientConfig, options: Options) throws {
        self.loop = loop
        self.options = options
        self.ticket = ticket
        renderer = FrameRenderer(track: try config.trackSource.map { try TrackParser.parse($0) } ?? TrackCatalog.track(named: config.track))
        frameTimer = LoopTimer(loop: loop)
        loop.updateTime()
        startMillis = loop.nowMillis
        client = try GameClient(loop: loop, token: ticket.token, config: config) { [unowned self] state, slot in
            self.input(state: state, slot: slot)
        }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            let s = LoopSignal(loop: loop)
            s.start(sig) { [unowned self] in self.quit(sig == SIGINT ? "interrupted (Ctrl-C); you left the match" : "stopped by signal \(sig); you left the match") }
            signals.append(s)
        }
        signal(SIGPIPE, SIG_IGN)
        if !options.headless {
            let winch = LoopSignal(loop: loop)
            winch.start(SIGWINCH) { Terminal.write("\u{1B}[2J") }
            signals.append(winch)
            let p = try LoopPoll(loop: loop, fd: 0)
            p.start(.readable) { [unowned self] _ in self.readKeys() }
            stdinPoll = p
        }
        let period = options.headless ? 100 : UInt64(max(1, 1000 / options.fps))
        frameTimer.start(afterMillis: 1, repeatMillis: period) { [unowned self] in self.frame() }
    }

    // MARK: input

    private func input(state: MatchState?, slot: Int?) -> KartInput {
        if options.bot {
            guard let state, let slot else { return .neutral }
            if botDriver == nil { botDriver = BotDriver(slot: slot, seed: options.seed) }
            return botDriver!.input(state: state, track: client.session.track)
        }
        return controls.input(nowMillis: loop.nowMillis)
    }

    private func readKeys() {
        let n = readBuffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
        if n == 0 {
            // End of input (terminal closed): leave.
            quit("the terminal closed; you left the match")
            return
        }
        guard n > 0 else { return }
        controls.feed(readBuffer[0..<n], nowMillis: loop.nowMillis)
        if controls.quitRequested { quit("you left the match") }
    }

    // MARK: ticking

    private func frame() {
        guard outcome == nil else { return }
        let now = loop.nowMillis
        let s = client.session
        if s.state == .playing && playingSinceMillis == nil { playingSinceMillis = now }
        if client.relayChanges != relayChangesSeen { relayChangesSeen = client.relayChanges; relayChangedAt = now }
        peakCorrectionsPerSecond = max(peakCorrectionsPerSecond, s.stats.correctionsPerSecond)
        if case .ended(let reason) = s.state {
            let ok = reason == .quit || reason == .server(.matchOver) || reason == .server(.clientQuit)
            finish(ok ? 0 : 1, reason.message)
            return
        }
        if let limit = options.seconds, Double(now - startMillis) >= limit * 1000 {
            quit("\(formatSeconds(limit)) s elapsed; you left the match")
            return
        }
        if options.headless {
            if raceDone() {
                let pos = raceResult()
                quit("race finished\(pos)")
                return
            }
            if lastLine == nil || now - lastLine!.millis >= 1000 { statusLine(now) }
        } else {
            draw()
        }
    }

    /// True once our kart stopped racing in the authoritative state (finished, timed out,
    /// retired) or the race is over.
    func raceDone() -> Bool {
        guard let a = client.session.authoritativeState, let slot = client.session.slot, slot < a.karts.count else { return false }
        return a.race.phase == .finished || a.karts[slot].status != .racing
    }

    private func raceResult() -> String {
        guard let a = client.session.authoritativeState, let slot = client.session.slot, slot < a.karts.count else { return "" }
        let k = a.karts[slot]
        switch k.status {
        case .finished:
            let pos = RaceStanding.position(of: slot, in: a, track: client.session.track)
            return ": position \(pos)/\(a.karts.count), \(formatSeconds(Double(k.finishTick) / 60)) s of match time"
        case .retiredIdle: return ": retired (idle)"
        case .timedOut: return ": did not finish in time"
        case .racing: return ""
        }
    }

    var hud: HudInfo {
        let s = client.session
        var status = s.statusText
        if s.state == .playing, let at = relayChangedAt, loop.nowMillis - at < 5_000 { status = "relay changed; connected again" }
        if s.state == .playing, let a = s.authoritativeState, a.race.phase == .finished { status = "race over; q to leave" }
        return HudInfo(pingMillis: s.stats.rttMillis, upLoss: s.stats.upLoss, downLoss: s.stats.downLoss,
                       correctionsPerSecond: s.stats.correctionsPerSecond, relay: s.relayAddress,
                       status: status + (options.bot ? " [bot]" : ""))
    }

    private func draw() {
        let r = renderer.render(state: client.session.renderState(), localSlot: client.session.slot, hud: hud)
        Terminal.write(AnsiScreen.frame(r.lines, highlight: r.ownKart))
    }

    private func statusLine(_ now: UInt64) {
        let s = client.session
        let w = client.wireTotals
        var kbps = ""
        if let l = lastLine, now > l.millis {
            let dt = Double(now - l.millis) / 1000
            kbps = "  up \(oneDecimal(Double(w.bytesUp - l.wireUp) * 8 / 1000 / dt)) kbps  down \(oneDecimal(Double(w.bytesDown - l.wireDown) * 8 / 1000 / dt)) kbps"
        }
        lastLine = (now, w.bytesUp, w.bytesDown)
        var race = ""
        if let a = s.authoritativeState, let slot = s.slot, slot < a.karts.count {
            let k = a.karts[slot]
            race = "  lap \(min(max(Int(k.lap), 1), Int(a.race.totalLaps)))/\(a.race.totalLaps) pos \(RaceStanding.position(of: slot, in: a, track: s.track))/\(a.karts.count) tick \(a.tick)"
                + (a.race.phase == .countdown ? " countdown" : "")
        }
        let st = s.stats
        let exact = st.predictionChecks == 0 ? 100 : Double(st.predictionExact) * 100 / Double(st.predictionChecks)
        Self.line("[\(formatSeconds(Double(now - startMillis) / 1000))s] \(stateWord)\(race)  rtt \(oneDecimal(st.rttMillis))ms"
            + "  loss \(oneDecimal(st.upLoss * 100))%/\(oneDecimal(st.downLoss * 100))%  corr \(oneDecimal(st.correctionsPerSecond))/s"
            + "  pred \(oneDecimal(exact))% exact max \(threeDecimals(st.predictionErrorMaxMetres))m  frames \(st.framesReceived)\(kbps)"
            + "  relay \(s.relayAddress.isEmpty ? "-" : s.relayAddress) | \(hud.status)")
    }

    private var stateWord: String {
        switch client.session.state {
        case .idle: "idle"
        case .connecting: "connecting"
        case .handshaking: "handshaking"
        case .joining: "joining"
        case .playing: "playing"
        case .resuming: "resuming"
        case .ended: "ended"
        }
    }

    /// Final figures for the exit message.
    func summary() -> String {
        let st = client.session.stats
        let w = client.wireTotals
        let secs = playingSinceMillis.map { Double(loop.nowMillis - $0) / 1000 } ?? 0
        let up = secs > 0 ? Double(w.bytesUp) * 8 / 1000 / secs : 0
        let down = secs > 0 ? Double(w.bytesDown) * 8 / 1000 / secs : 0
        let exact = st.predictionChecks == 0 ? 0 : Double(st.predictionExact) * 100 / Double(st.predictionChecks)
        return "summary: played \(oneDecimal(secs)) s, frames \(st.framesReceived) (\(st.framesFull) full), inputs sent \(st.inputPacketsSent),"
            + " wire up \(oneDecimal(up)) kbps down \(oneDecimal(down)) kbps (DTLS payload, \(w.datagramsUp)/\(w.datagramsDown) datagrams),"
            + " rtt \(oneDecimal(st.rttMillis)) ms, loss up \(oneDecimal(st.upLoss * 100))% down \(oneDecimal(st.downLoss * 100))%,"
            + " corrections \(st.corrections) (mean \(threeDecimals(st.correctionMeanMetres)) m, p99 \(threeDecimals(st.correctionP99Metres)) m, peak \(oneDecimal(peakCorrectionsPerSecond))/s),"
            + " prediction exact \(st.predictionExact)/\(st.predictionChecks) (\(oneDecimal(exact))%) mean \(threeDecimals(st.predictionErrorMeanMetres)) m max \(threeDecimals(st.predictionErrorMaxMetres)) m,"
            + " relay changes \(client.relayChanges), resumes \(st.resumes)"
    }

    // MARK: ending

    /// The player (or a signal, or the headless rules) ends the game: Disconnect is sent.
    func quit(_ message: String) {
        guard outcome == nil else { return }
        client.quit()
        finish(0, message)
    }

    private func finish(_ code: Int32, _ message: String) {
        guard outcome == nil else { return }
        if options.headless { statusLine(loop.nowMillis) }
        outcome = (code, message)
        loop.stop()
    }

    func shutdown() {
        client.stop()
        frameTimer.stop(); frameTimer.close()
        stdinPoll?.stop(); stdinPoll?.close()
        for s in signals { s.stop(); s.close() }
    }

    // MARK: output

    /// Writes a line to stdout at once (unbuffered, so pipes see it).
    static func line(_ s: String) { Terminal.write(s + "\n") }

    static func errorLine(_ s: String) {
        let t = s + "\n"
        _ = t.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}

func oneDecimal(_ v: Double) -> String {
    let t = Int((v * 10).rounded())
    return (t < 0 ? "-" : "") + "\(abs(t) / 10).\(abs(t) % 10)"
}

func threeDecimals(_ v: Double) -> String {
    let t = Int((v * 1000).rounded())
    let f = abs(t) % 1000
    return (t < 0 ? "-" : "") + "\(abs(t) / 1000)." + (f < 10 ? "00" : f < 100 ? "0" : "") + "\(f)"
}

func formatSeconds(_ v: Double) -> String { oneDecimal(v) }
