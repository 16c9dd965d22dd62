import Foundation
import KKClient
import KKClientSDK
import KKImpair
import KKLoad
import KKLoop
import KKPhysics
import KKToken
import Synchronization

/// One client to start: when (ms after the run's start), with which token, for which of its races.
struct ClientPlan: Sendable {
    var index: Int
    var startAtMillis: UInt64
    /// nil: the token source failed for a next race (the client counts as failed).
    var token: ConnectToken?
    /// 1 for the client's first race; 2, 3, ... for the next ones (scenario `rematch`).
    var race = 1
}

/// Values put from any thread and taken all at once, in order, by one reader: samples (workers
/// to the coordinator), next-race requests (the same way), plans (the coordinator to a worker).
final class Mailbox<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func put(_ e: Element) { items.withLock { $0.append(e) } }
    func take() -> [Element] { items.withLock { box in let b = box; box.removeAll(); return b } }
}

/// Samples from the workers to the coordinator.
typealias SampleBox = Mailbox<WorkerSample>

/// A client whose race ended and who wants race number `race` (scenario `rematch`): posted by
/// its worker, taken by the coordinator, which asks the token source and hands the plan back.
struct NextRaceRequest: Sendable {
    var index: Int
    var race: Int
}

/// Clients handed to a worker thread, started when their time comes (both worker kinds).
final class PlanInbox: @unchecked Sendable {
    private let incoming = Mailbox<ClientPlan>()
    /// Worker thread only.
    private var waiting: [ClientPlan] = []

    /// Any thread.
    func put(_ plan: ClientPlan) { incoming.put(plan) }

    /// On the worker thread: `start` for each plan due at `nowMillis` (at most `limit`), earliest first.
    func startDue(nowMillis: UInt64, limit: Int, _ start: (ClientPlan) -> Void) {
        let fresh = incoming.take()
        if !fresh.isEmpty { waiting.append(contentsOf: fresh); waiting.sort { $0.startAtMillis < $1.startAtMillis } }
        var started = 0
        while let first = waiting.first, first.startAtMillis <= nowMillis, started < limit {
            waiting.removeFirst()
            start(first)
            started += 1
        }
    }
}

/// Settings every worker shares.
struct WorkerSettings: Sendable {
    var scenario: Scenario
    var useProxy: Bool
    var runStartNanos: UInt64
    /// Workers give up by themselves this long after the start (the coordinator's cap + slack).
    var hardStopMillis: UInt64
    /// The track the matches race (the bots steer by it and the clients predict on it).
    var track = "oval"
}

/// What the coordinator needs of a worker thread (SDK clients: ``LoadWorker``; lean: ``LeanFleet``).
protocol ClientWorker: AnyObject {
    func start()
    /// Hands over a client to start at its time.
    func enqueue(_ plan: ClientPlan)
    func requestStop()
    var isFinished: Bool { get }
    /// Errors creating clients (for the report's stderr).
    var problemList: [String] { get }
}

/// One synthetic player: a GameClient driven by a BotDriver, and what the worker tracks of it.
final class LoadClient {
    let index: Int
    let game: GameClient
    let race: Int
    var handshakesSeen = 0
    var lastConfirmMicros: Int64 = 0
    /// Its failure was noted in the worker's problems (once).
    var failureNoted = false
    init(index: Int, race: Int, game: GameClient) { self.index = index; self.race = race; self.game = game }
}

/// One event-loop thread running a share of the clients (and its own impairing proxy), sending
/// a ``WorkerSample`` every second. Its state is touched only on its own thread; the inbox,
/// the outbox and the stop flag are the only shared parts.
final class LoadWorker: @unchecked Sendable, ClientWorker {
    let index: Int
    let settings: WorkerSettings
    let plans = PlanInbox()
    let outbox: SampleBox
    let rematches: Mailbox<NextRaceRequest>
    let stopRequested = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    /// Errors creating clients (for the report's stderr).
    let problems = Mutex<[String]>([])

    private var loop: EventLoop!
    private var proxy: ImpairingProxy?
    private var clients: [LoadClient] = []
    private var current: WorkerSample
    private var second = 0
    private var createFailures = 0
    private var stallCount = 0
    /// Sum of playing clients' leads at each second's sample (``LoadCounters/leadTickSeconds``).
    private var leadTickSeconds = 0
    /// Counters of the clients whose race ended and who went on to the next (their games are gone).
    private var retired = LoadCounters()
    /// Clients between two races: asked for their next token, not started yet.
    private var awaitingRace = 0
    private let track: Track

    init(index: Int, settings: WorkerSettings, outbox: SampleBox, rematches: Mailbox<NextRaceRequest>) {
        self.index = index
        self.settings = settings
        self.outbox = outbox
        self.rematches = rematches
        current = WorkerSample(worker: index, second: 0)
        track = (try? TrackCatalog.track(named: settings.track)) ?? (try? TrackCatalog.track(named: "oval"))!
    }

    func enqueue(_ plan: ClientPlan) { plans.put(plan) }
    func requestStop() { stopRequested.store(true, ordering: .releasing) }
    var isFinished: Bool { finished.load(ordering: .acquiring) }
    var problemList: [String] { problems.withLock { $0 } }

    /// Starts the worker's thread.
    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "kk-load-\(index)"
        t.stackSize = 8 << 20
        t.start()
    }

    private func elapsedMillis() -> UInt64 { (monotonicNanos() &- settings.runStartNanos) / 1_000_000 }

    private func run() {
        do { loop = try EventLoop() } catch { problems.withLock { $0.append("event loop: \(error)") }; finished.store(true, ordering: .releasing); return }
        if settings.useProxy {
            proxy = ImpairingProxy(loop: loop, impairment: settings.scenario.impairment,
                                   seed: settings.scenario.impairment.seed &+ UInt64(index) &* 0x1000_0000_01B3)
        }
        let control = LoopTimer(loop: loop)
        control.start(afterMillis: 5, repeatMillis: 5) { [unowned self] in self.onControl() }
        let sampler = LoopTimer(loop: loop)
        let tick = { [unowned self, unowned sampler] in
            self.onSecond()
            let ms = self.elapsedMillis()
            sampler.again(afterMillis: 1000 - ms % 1000)
        }
        sampler.start(afterMillis: 1000 - elapsedMillis() % 1000) { tick() }
        loop.run()
        // Stopping: quit every client (sends Disconnect), let the loop flush, final sample.
        control.stop(); control.close()
        sampler.stop(); sampler.close()
        for c in clients { c.game.quit() }
        let flush = LoopTimer(loop: loop)
        flush.start(afterMillis: 200) { [unowned self] in self.loop.stop() }
        loop.run()
        flush.close()
        publish(final: true)
        proxy?.close()
        clients.removeAll()
        for _ in 0..<20 { loop.runOnce(wait: false) }
        finished.store(true, ordering: .releasing)
    }

    private func onControl() {
        if stopRequested.load(ordering: .acquiring) || elapsedMillis() > settings.hardStopMillis {
            loop.stop()
            return
        }
        plans.startDue(nowMillis: elapsedMillis(), limit: 200) { startClient($0) }
    }

    private func startClient(_ plan: ClientPlan) {
        if plan.race > 1 { awaitingRace -= 1 }
        guard var token = plan.token else {
            createFailures += 1
            problems.withLock { $0.append("client \(plan.index): no token for race \(plan.race)") }
            return
        }
        if let proxy {
            do { token.relays = try token.relays.map { try proxy.frontAddress(for: $0) } } catch {
                createFailures += 1
                problems.withLock { $0.append("proxy: \(error)") }
                return
            }
        }
        let sc = settings.scenario
        var config = ClientConfig()
        config.sendEveryTicks = sc.sendEveryTicks
        config.inputRedundancy = sc.inputRedundancy
        config.frameIntervalTicks = sc.frameEveryTicks
        config.adaptiveLead = sc.adaptiveLead
        config.track = settings.track
        var bot: BotDriver?
        let track = self.track
        let seed = UInt64(plan.index) &+ sc.impairment.seed
        do {
            let game = try GameClient(loop: loop, token: token, config: config) { state, slot in
                guard let state, let slot else { return .neutral }
                if bot == nil { bot = BotDriver(slot: slot, seed: seed) }
                return bot!.input(state: state, track: track)
            }
            let c = LoadClient(index: plan.index, race: plan.race, game: game)
            let stallMicros = Int64(sc.stallMillis) * 1000
            game.session.probe = SessionProbe(
                inputApplied: { [unowned self, unowned c] _, recorded, applied in
                    current.latency.record(UInt64(max(0, applied - recorded)))
                    if c.lastConfirmMicros > 0, applied - c.lastConfirmMicros > stallMicros {
                        current.stalls.record(UInt64(applied - c.lastConfirmMicros))
                        stallCount += 1
                    }
                    c.lastConfirmMicros = applied
                },
                correction: { [unowned self] q16 in current.correctionMm.record(UInt64(max(0, q16)) * 1000 / 65_536) },
                visualStep: { [unowned self] q16 in current.visualStepMm.record(UInt64(max(0, q16)) * 1000 / 65_536) })
            clients.append(c)
            if plan.race > 1 { retired.rematches += 1 }
        } catch {
            createFailures += 1
            problems.withLock { $0.append("client \(plan.index): \(error)") }
        }
    }

    private func onSecond() {
        // Fired just after a second boundary: the sample covers the second that ended.
        second = Int((elapsedMillis() + 500) / 1000) - 1
        if settings.scenario.rematch { retireFinishedRaces() }
        publish(final: false)
    }

    /// Clients whose match is over keep their counts and ask for the next race.
    private func retireFinishedRaces() {
        clients.removeAll { c in
            guard case .ended(.server(.matchOver)) = c.game.session.state else { return false }
            c.game.stop()  // (the game stops itself on its next tick; it is released now)
            add(c, to: &retired)
            awaitingRace += 1
            rematches.put(NextRaceRequest(index: c.index, race: c.race + 1))
            return true
        }
    }

    /// Adds one client's cumulative stats to `k` (and its new handshakes to the sample).
    private func add(_ c: LoadClient, to k: inout LoadCounters) {
        let st = c.game.session.stats
        k.framesReceived += st.framesReceived; k.framesExpected += st.framesExpected
        k.framesFull += st.framesFull; k.framesDelta += st.framesDelta
        k.inputsRecorded += st.inputsRecorded; k.inputsAcked += st.inputsAcked
        k.inputChecks += st.inputChecks; k.inputMisses += st.inputMisses; k.inputPacketsSent += st.inputPacketsSent
        k.bytesUp += st.bytesUp; k.bytesDown += st.bytesDown
        k.corrections += st.corrections; k.snaps += st.snaps
        k.resumes += st.resumes; k.relayChanges += c.game.relayChanges; k.badPackets += st.badPackets
        k.heldUpRounds += c.game.heldUpRounds
        let f = c.game.failovers
        k.failoversSilent += f[.relaySilent] ?? 0; k.failoversDraining += f[.relayDraining] ?? 0
        k.failoversClosed += f[.relayClosed] ?? 0; k.failoversHandshake += f[.handshakeFailed] ?? 0
        let hs = c.game.handshakeMillis
        if hs.count > c.handshakesSeen {
            for i in c.handshakesSeen..<hs.count { current.handshake.record(hs[i] * 1000) }
            c.handshakesSeen = hs.count
        }
        k.handshakes += hs.count
        if case .ended(.handshakeFailed) = c.game.session.state { k.handshakeFailures += 1 }
    }

    /// Sums every client's stats into the current sample and sends it.
    private func publish(final: Bool) {
        var k = retired
        var g = LoadGauges()
        // Between two races: counted as joining.
        g.started += awaitingRace
        g.joining += awaitingRace
        for c in clients {
            add(c, to: &k)
            let st = c.game.session.stats
            g.started += 1
            switch c.game.session.state {
            case .idle, .connecting, .handshaking: g.handshaking += 1
            case .joining: g.joining += 1
            case .playing:
                g.playing += 1
                if !final { leadTickSeconds += st.leadTicks }
            case .resuming: g.resuming += 1
            case .ended(let why):
                switch why {
                case .quit, .server(.matchOver): g.ended += 1
                case .handshakeFailed: g.failed += 1
                default: g.failed += 1
                }
                if why != .quit && why != .server(.matchOver) && !c.failureNoted {
                    c.failureNoted = true
                    problems.withLock { if $0.count < 20 { $0.append("client \(c.index) ended: \(why)") } }
                }
            }
        }
        g.started += createFailures
        g.failed += createFailures
        k.frameStalls = stallCount
        k.leadTickSeconds = leadTickSeconds
        if let p = proxy {
            k.wireBytesUp = p.bytesUp; k.wireBytesDown = p.bytesDown
            k.impairDropped = p.dropped; k.impairDuplicated = p.duplicated; k.impairReordered = p.reordered
            k.impairBurstDropped = p.burstDropped; k.impairSpiked = p.spiked
        }
        current.counters = k
        current.gauges = g
        current.second = final ? -1 : second
        let sample = current
        outbox.put(sample)
        current = WorkerSample(worker: index, second: 0)
    }
}
