import KKDTLS
import KKTestSupport
import KKToken
import KKWire

/// Tokens, contexts and an in-memory "network" between one client session and a relay (the
/// cookie gate plus a server session created on `.startSession`), with hooks to drop datagrams.
final class Harness {
    static let now: UInt64 = 1_800_000_000
    static let tokenKey = try! TokenKey(bytes: (0..<32).map { UInt8($0) })
    static let cookieSecret = (0..<32).map { UInt8(0x40 + $0) }
    static let peer: [UInt8] = [10, 0, 0, 7, 0x1E, 0x61]

    var clock: UInt64 = Harness.now
    let issuer: TokenIssuer
    let server: DTLSServerContext
    let clientContext: DTLSClientContext
    let gate: DTLSCookieGate
    var peer = Harness.peer

    var client: DTLSSession
    var serverSession: DTLSSession?
    var verdicts: [DTLSGateVerdict] = []
    var clientResult: DTLSAdvance = .wantMore
    var serverResult: DTLSAdvance = .wantMore
    /// Datagrams the server received / sent after the session exists (for drop hooks).
    var toServerCount = 0
    var toClientCount = 0
    /// Return true to drop the n-th datagram in that direction.
    var dropToServer: (Int, [UInt8]) -> Bool = { _, _ in false }
    var dropToClient: (Int, [UInt8]) -> Bool = { _, _ in false }
    /// Plaintext each side read.
    var serverReceived: [[UInt8]] = []
    var clientReceived: [[UInt8]] = []
    /// Largest ciphertext datagram seen.
    var largestDatagram = 0

    private var buffer = [UInt8](repeating: 0, count: DTLSRecordLayout.maxCiphertextDatagramBytes)
    private var response = [UInt8](repeating: 0, count: 64)
    private var plain = [UInt8](repeating: 0, count: 2048)

    init(token: ConnectToken? = nil, psk: [UInt8]? = nil, serverRetransmit: DTLSRetransmitPolicy = .init(),
         clientRetransmit: DTLSRetransmitPolicy = .init(), clientCiphers: String? = nil,
         tokenKey: TokenKey = Harness.tokenKey) throws {
        issuer = try TokenIssuer(key: tokenKey)
        let validator = try TokenValidator(keys: [Harness.tokenKey])
        let box = ClockBox()
        server = try DTLSServerContext(validator: validator, cookieKey: try DTLSCookieKey(secret: Harness.cookieSecret),
                                       retransmit: serverRetransmit, clock: { box.now })
        clientContext = try DTLSClientContext(retransmit: clientRetransmit, cipherList: clientCiphers)
        gate = server.gate
        let t = try token ?? issuer.issue(playerId: 42, matchId: 9, now: Harness.now, validSeconds: 60, relays: [])
        if let psk {
            client = try DTLSSession(client: clientContext, pskIdentity: Array(t.sealed.utf8), psk: psk)
        } else {
            client = try DTLSSession(client: clientContext, token: t)
        }
        clockBox = box
    }

    let clockBox: ClockBox
    final class ClockBox { var now: UInt64 = Harness.now }

    /// Runs the exchange until both sides are done or nothing moves (bounded rounds).
    func run(rounds: Int = 12) throws {
        clientResult = client.advance()
        for _ in 0..<rounds {
            var moved = false
            while let d = try drain(client) {
                moved = true
                toServer(d)
            }
            while let s = serverSession, let d = try drain(s) {
                moved = true
                toClient(d)
            }
            if !moved { break }
        }
    }

    func drain(_ s: DTLSSession) throws -> [UInt8]? {
        let n = try s.drain(into: &buffer)
        guard let n else { return nil }
        largestDatagram = max(largestDatagram, n)
        return Array(buffer[0..<n])
    }

    func toServer(_ d: [UInt8]) {
        guard let s = serverSession else {
            let verdict = d.withUnsafeBytes { db in
                peer.withUnsafeBytes { p in
                    response.withUnsafeMutableBytes { r in gate.inspect(db, peer: p, nowSeconds: clockBox.now, response: r) }
                }
            }
            verdicts.append(verdict)
            switch verdict {
            case .sendHelloVerifyRequest(let length, _):
                toClient(Array(response[0..<length]))
            case .startSession:
                let session = peer.withUnsafeBytes { try! DTLSSession(server: server, peer: $0) }
                serverSession = session
                deliver(d, to: session, result: &serverResult, received: &serverReceived)
            case .drop:
                break
            }
            return
        }
        toServerCount += 1
        if dropToServer(toServerCount, d) { return }
        deliver(d, to: s, result: &serverResult, received: &serverReceived)
    }

    func toClient(_ d: [UInt8]) {
        toClientCount += 1
        if dropToClient(toClientCount, d) { return }
        deliver(d, to: client, result: &clientResult, received: &clientReceived)
    }

    /// Feeds one datagram, then advances (handshake) or reads every record (established).
    func deliver(_ d: [UInt8], to s: DTLSSession, result: inout DTLSAdvance, received: inout [[UInt8]]) {
        do throws(DTLSError) {
            try s.feed(d)
            if !s.isEstablished {
                result = s.advance()
                if !s.isEstablished { return }
            }
            while let n = try s.read(into: &plain) {
                received.append(Array(plain[0..<n]))
            }
        } catch {
            result = .failed(error)
        }
    }

    /// Encrypts `bytes` on `s` and carries everything queued to the other side.
    func send(_ bytes: [UInt8], from s: DTLSSession) throws {
        try s.write(bytes)
    }

    /// Carries queued datagrams both ways once.
    func flush() throws {
        while let d = try drain(client) { toServer(d) }
        while let s = serverSession, let d = try drain(s) { toClient(d) }
    }
}

/// OpenSSL 3.0's DTLS timer reads the real clock (it cannot be injected), so retransmission tests
/// use the shortest policy (16 ms, which OpenSSL counts as expired once 1 ms has passed) and poll
/// `handleTimeout` until it fires: about 1 ms of real time per timeout, bounded at 2 s.
enum FastTimer {
    static let policy = DTLSRetransmitPolicy(initialMillis: DTLSRetransmitPolicy.minimumMillis,
                                             maxMillis: DTLSRetransmitPolicy.minimumMillis)

    /// Polls until the session retransmits (true), fails (throws), or 2 s pass (false).
    static func fire(_ s: DTLSSession) throws(DTLSError) -> Bool {
        let deadline = monotonicMillis() + 2000
        while monotonicMillis() < deadline {
            if try s.handleTimeout() { return true }
        }
        return false
    }
}
