import CKartKlashClient
import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTerminalUI
import KKToken

/// What a `kk_client *` points at: a ``GameClient`` on its own ``EventLoop``, the controls the
/// game last set, and a bot for `kk_client_bot_input`. Not thread-safe (one thread per handle).
final class ClientHandle {
    let loop: EventLoop
    var client: GameClient!
    var input = KartInput.neutral
    var bot: BotDriver?
    /// The drawn state, computed once per poll for the kart queries.
    private var drawn: MatchState??

    func drawnState() -> MatchState? {
        if let d = drawn { return d }
        let s = client.session.renderState()
        drawn = .some(s)
        return s
    }

    func poll() {
        loop.runOnce(wait: false)
        drawn = nil
    }

    init(token: ConnectToken, config: ClientConfig) throws {
        loop = try EventLoop()
        client = try GameClient(loop: loop, token: token, config: config) { [unowned self] _, _ in self.input }
    }

    func close() {
        if !client.session.state.isEnded { client.quit() }
        client.stop()
        loop.runOnce(wait: false)
        client = nil
        loop.close()
    }

    static func from(_ p: OpaquePointer?) -> ClientHandle? {
        guard let p else { return nil }
        return Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

/// Sets the text kk_last_error() returns (thread-local, in C); every entry point of the C ABI uses it.
func setError(_ s: String) { kk__set_last_error(s) }

@_cdecl("kk_client_create")
public func kkClientCreate(_ json: UnsafePointer<CChar>?, _ length: Int, _ cfg: UnsafePointer<kk_client_config>?) -> OpaquePointer? {
    setError("")
    guard let json, length > 0 else { setError("token_json is empty"); return nil }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: json, count: length))
    let ticket: MatchTicket
    do { ticket = try MatchTicket.decode(json: bytes) } catch { setError(error.message); return nil }
    var config = ClientConfig()
    if let track = ticket.track { config.track = track }
    if let c = cfg?.pointee {
        guard c.struct_size >= UInt32(MemoryLayout<kk_client_config>.size) else {
            setError("kk_client_config.struct_size must be sizeof(kk_client_config)")
            return nil
        }
        switch c.send_hz {
        case 0: break
        case 20, 30, 60: config.sendEveryTicks = 60 / Int(c.send_hz)
        default: setError("send_hz must be 20, 30 or 60"); return nil
        }
        if c.input_redundancy != 0 { config.inputRedundancy = Int(c.input_redundancy) }
        if let t = c.track { config.track = String(cString: t) }
    }
    do {
        let h = try ClientHandle(token: ticket.token, config: config)
        return OpaquePointer(Unmanaged.passRetained(h).toOpaque())
    } catch let e as ClientSDKError {
        setError(e.description)
    } catch {
        setError("\(error)")
    }
    return nil
}

@_cdecl("kk_client_destroy")
public func kkClientDestroy(_ p: OpaquePointer?) {
    guard let p else { return }
    let u = Unmanaged<ClientHandle>.fromOpaque(UnsafeRawPointer(p))
    u.takeUnretainedValue().close()
    u.release()
}

@_cdecl("kk_client_set_input")
public func kkClientSetInput(_ p: OpaquePointer?, _ buttons: UInt32, _ steer: Int32) {
    guard let h = ClientHandle.from(p) else { return }
    h.input = KartInput(buttons: UInt8(truncatingIfNeeded: buttons & 0x0F), steer: Int8(max(-127, min(127, steer))))
}

@_cdecl("kk_client_poll")
public func kkClientPoll(_ p: OpaquePointer?) -> Int32 {
    guard let h = ClientHandle.from(p) else { return Int32(KK_STATE_ENDED.rawValue) }
    h.poll()
    return stateCode(h.client.session.state)
}

@_cdecl("kk_client_quit")
public func kkClientQuit(_ p: OpaquePointer?) {
    guard let h = ClientHandle.from(p), !h.client.session.state.isEnded else { return }
    h.client.quit()
}

func stateCode(_ s: ClientState) -> Int32 {
    let c: kk_client_state_code = switch s {
    case .idle: KK_STATE_IDLE
    case .connecting: KK_STATE_CONNECTING
    case .handshaking: KK_STATE_HANDSHAKING
    case .joining: KK_STATE_JOINING
    case .playing: KK_STATE_PLAYING
    case .resuming: KK_STATE_RESUMING
    case .ended: KK_STATE_ENDED
    }
    return Int32(c.rawValue)
}

@_cdecl("kk_client_state")
public func kkClientState(_ p: OpaquePointer?) -> Int32 {
    guard let h = ClientHandle.from(p) else { return Int32(KK_STATE_ENDED.rawValue) }
    return stateCode(h.client.session.state)
}

@_cdecl("kk_client_end_reason")
public func kkClientEndReason(_ p: OpaquePointer?) -> Int32 {
    guard let h = ClientHandle.from(p), case .ended(let r) = h.client.session.state else { return Int32(KK_END_NONE.rawValue) }
    let c: kk_client_end_reason_code = switch r {
    case .quit, .server(.clientQuit): KK_END_QUIT
    case .server(.matchOver): KK_END_MATCH_OVER
    case .unreachable, .relayUnreachable: KK_END_UNREACHABLE
    case .handshakeFailed: KK_END_HANDSHAKE_FAILED
    case .tokenExpired, .server(.tokenExpired): KK_END_TOKEN_EXPIRED
    case .timedOut, .server(.timeout): KK_END_TIMED_OUT
    case .server: KK_END_SERVER
    }
    return Int32(c.rawValue)
}

@_cdecl("kk_client_last_failover")
public func kkClientLastFailover(_ p: OpaquePointer?, _ count: UnsafeMutablePointer<UInt32>?) -> Int32 {
    guard let h = ClientHandle.from(p) else { count?.pointee = 0; return Int32(KK_FAILOVER_NONE.rawValue) }
    count?.pointee = UInt32(clamping: h.client.relayChanges)
    let c: kk_client_failover_reason = switch h.client.lastFailover {
    case nil: KK_FAILOVER_NONE
    case .relaySilent: KK_FAILOVER_RELAY_SILENT
    case .relayDraining: KK_FAILOVER_RELAY_DRAINING
    case .relayClosed: KK_FAILOVER_RELAY_CLOSED
    case .handshakeFailed: KK_FAILOVER_HANDSHAKE_FAILED
    case .manual: KK_FAILOVER_MANUAL
    }
    return Int32(c.rawValue)
}

@_cdecl("kk_client_status_text")
public func kkClientStatusText(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    guard let h = ClientHandle.from(p) else { return 0 }
    let text = Array(h.client.session.statusText.utf8)
    if let buf, len > 0 {
        let n = min(text.count, len - 1)
        for i in 0..<n { buf[i] = CChar(bitPattern: text[i]) }
        buf[n] = 0
    }
    return text.count
}

@_cdecl("kk_client_kart_count")
public func kkClientKartCount(_ p: OpaquePointer?) -> Int32 {
    guard let h = ClientHandle.from(p), let s = h.client.session.predictedState else { return 0 }
    return Int32(s.karts.count)
}

@_cdecl("kk_client_kart")
public func kkClientKart(_ p: OpaquePointer?, _ slot: Int32, _ x: UnsafeMutablePointer<Float>?, _ y: UnsafeMutablePointer<Float>?,
                         _ heading: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let h = ClientHandle.from(p), let s = h.drawnState(), slot >= 0, Int(slot) < s.karts.count else { return -1 }
    let k = s.karts[Int(slot)]
    x?.pointee = Float(Double(k.x) / 65_536)
    y?.pointee = Float(Double(k.y) / 65_536)
    heading?.pointee = Float(Double(k.heading) / 65_536 * 2 * Double.pi)
    return 0
}

@_cdecl("kk_client_bot_input")
public func kkClientBotInput(_ p: OpaquePointer?, _ buttons: UnsafeMutablePointer<UInt32>?, _ steer: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let h = ClientHandle.from(p), let slot = h.client.session.slot, let s = h.client.session.predictedState else { return -1 }
    if h.bot == nil { h.bot = BotDriver(slot: slot, seed: UInt64(slot) &+ 1) }
    let i = h.bot!.input(state: s, track: h.client.session.track)
    buttons?.pointee = UInt32(i.buttons)
    steer?.pointee = Int32(i.steer)
    return 0
}

@_cdecl("kk_client_stats")
public func kkClientStats(_ p: OpaquePointer?, _ out: UnsafeMutablePointer<kk_client_stats_t>?) -> Int32 {
    guard let h = ClientHandle.from(p), let out, out.pointee.struct_size >= UInt32(MemoryLayout<kk_client_stats_t>.size) else { return -1 }
    let session = h.client.session
    let st = session.stats
    let w = h.client.wireTotals
    var r = kk_client_stats_t()
    r.struct_size = UInt32(MemoryLayout<kk_client_stats_t>.size)
    r.rtt_ms = st.rttMillis
    r.up_loss = st.upLoss
    r.down_loss = st.downLoss
    r.corrections_per_second = st.correctionsPerSecond
    r.correction_mean_m = st.correctionMeanMetres
    r.prediction_error_mean_m = st.predictionErrorMeanMetres
    r.prediction_error_max_m = st.predictionErrorMaxMetres
    r.frames_received = UInt64(st.framesReceived)
    r.frames_full = UInt64(st.framesFull)
    r.prediction_checks = UInt64(st.predictionChecks)
    r.prediction_exact = UInt64(st.predictionExact)
    r.bytes_up = UInt64(w.bytesUp)
    r.bytes_down = UInt64(w.bytesDown)
    r.input_packets_sent = UInt64(st.inputPacketsSent)
    r.corrections = UInt64(st.corrections)
    r.local_slot = session.slot.map { Int32($0) } ?? -1
    r.race_phase = -1
    r.kart_status = -1
    if let a = session.authoritativeState {
        r.kart_count = Int32(a.karts.count)
        r.total_laps = Int32(a.race.totalLaps)
        r.race_phase = Int32(a.race.phase.rawValue)
        r.server_tick = Int32(bitPattern: a.tick)
        if let s = session.slot, s < a.karts.count {
            r.lap = Int32(a.karts[s].lap)
            r.kart_status = Int32(a.karts[s].status.rawValue)
            r.position = Int32(RaceStanding.position(of: s, in: a, track: session.track))
        }
    }
    r.lead_ticks = Int32(st.leadTicks)
    r.relay_changes = Int32(h.client.relayChanges)
    r.resumes = Int32(st.resumes)
    out.pointee = r
    return 0
}
