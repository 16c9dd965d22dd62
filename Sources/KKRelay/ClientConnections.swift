import KKDTLS
import KKLoop
import KKRelayCore
import KKWire

/// Client addresses with a DTLS session: handshakes (limits, deadline, retransmissions), then
/// established connections whose plaintext goes to the ``RelayCore``; ciphertext leaves through
/// the UDP socket. Counts into the core's counters. Loop-thread only.
final class ClientConnections {
    private let config: RelayConfig
    private let udp: BatchedUDPSocket
    private let dtls: DTLSServerContext
    private let core: RelayCore
    private var byAddress: [PeerAddress: ClientConnection] = [:]
    private var byId: [Int: ClientConnection] = [:]
    private var nextId = 1
    /// Handshakes in progress.
    private(set) var handshaking = 0
    private let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: Limits.datagramBufferBytes, alignment: 16)

    init(config: RelayConfig, udp: BatchedUDPSocket, dtls: DTLSServerContext, core: RelayCore) {
        self.config = config
        self.udp = udp
        self.dtls = dtls
        self.core = core
        byAddress.reserveCapacity(min(config.maxSessions, 65_536))
    }

    deinit { plaintext.deallocate() }

    var count: Int { byAddress.count }

    /// The connection of `address`, if it has one.
    func connection(at address: PeerAddress) -> ClientConnection? { byAddress[address] }

    /// A ClientHello with a valid cookie from `address`: a new DTLS session, if the limits allow.
    func open(_ bytes: UnsafeRawBufferPointer, from address: PeerAddress, bucket: TokenBucket, nowMillis: UInt64) {
        guard !core.draining else { core.counters.drop(.draining); return }
        guard byAddress.count < config.maxSessions else { core.counters.drop(.sessionLimit); return }
        guard handshaking < config.maxConcurrentHandshakes else { core.counters.drop(.handshakeLimit); return }
        let made: Result<DTLSSession, DTLSError> = address.withBytes { peer in
            do throws(DTLSError) { return .success(try DTLSSession(server: dtls, peer: peer)) } catch { return .failure(error) }
        }
        let session: DTLSSession
        switch made {
        case .success(let s): session = s
        case .failure(let e): core.counters.drop(RelayDropReason(handshake: e)); return
        }
        let conn = ClientConnection(id: nextId, address: address, dtls: session,
                                    handshakeDeadline: nowMillis + config.handshakeTimeoutMillis, packets: bucket)
        nextId += 1
        byAddress[address] = conn
        byId[conn.id] = conn
        handshaking += 1
        core.counters.handshakesStarted += 1
        receive(bytes, on: conn, nowMillis: nowMillis)
    }

    /// A datagram for a connection: the handshake advances, or the records' plaintext goes to the core.
    func receive(_ bytes: UnsafeRawBufferPointer, on conn: ClientConnection, nowMillis: UInt64) {
        do {
            try conn.dtls.feed(bytes) { core.counters.drop(RelayDropReason(record: $0)) }
        } catch {
            core.counters.drop(.dtlsFailed)
            return
        }
        if !conn.established {
            switch conn.dtls.advance() {
            case .wantMore:
                sendCiphertext(conn)
                return
            case .failed(let e):
                sendCiphertext(conn)
                core.counters.drop(RelayDropReason(handshake: e))
                core.counters.handshakesFailed += 1
                remove(conn)
                return
            case .established:
                sendCiphertext(conn)
                conn.established = true
                handshaking -= 1
                core.counters.handshakesOK += 1
                guard let token = conn.dtls.token else { remove(conn); return }
                core.sessionEstablished(conn.id, token: token, nowMillis: nowMillis)
            }
        }
        while true {
            let n: Int?
            do { n = try conn.dtls.readPlaintext(into: plaintext) } catch {
                // The authenticated peer closed, or OpenSSL failed the session: it ends without
                // an answer (an alert would tell a forger what worked; the client resumes).
                if case .peerClosed = error {} else { core.counters.drop(RelayDropReason(handshake: error)) }
                core.sessionEnded(conn.id)
                remove(conn)
                return
            }
            guard let n else { break }
            core.clientPacket(conn.id, UnsafeRawBufferPointer(rebasing: plaintext[0..<n]), nowMillis: nowMillis)
        }
        sendCiphertext(conn)
    }

    /// Encrypts one plaintext packet of the core for session `id` and sends it.
    func send(_ bytes: ArraySlice<UInt8>, to id: Int) {
        guard let conn = byId[id] else { return }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            do throws(DTLSError) { try conn.dtls.writePlaintext(raw); return true } catch { return false }
        }
        guard written else { core.counters.drop(.dtlsFailed); return }
        core.counters.bytesOut += bytes.count
        sendCiphertext(conn)
    }

    /// Closes session `id`'s connection (close_notify, then forgotten).
    func close(_ id: Int) {
        guard let conn = byId[id] else { return }
        conn.dtls.shutdown()
        sendCiphertext(conn)
        remove(conn)
    }

    /// Handshake deadlines and DTLS retransmissions (every housekeeping tick).
    func handshakeTimers(nowMillis: UInt64) {
        for conn in byId.values where !conn.established {
            if nowMillis > conn.handshakeDeadline {
                core.counters.handshakesFailed += 1
                core.counters.drop(.handshakeTimeout)
                remove(conn)
                continue
            }
            if (try? conn.dtls.handleTimeout()) == true { sendCiphertext(conn) }
        }
    }

    /// Ids of the established connections (shutdown tells each one).
    var establishedIds: [Int] { byId.values.filter(\.established).map(\.id) }

    /// Sends every ciphertext datagram the session has queued.
    private func sendCiphertext(_ conn: ClientConnection) {
        while true {
            var more = false
            let ok = udp.send(to: conn.address) { slot in
                guard let n = try? conn.dtls.drainOutgoing(into: slot) else { return 0 }
                more = true
                return n
            }
            if !ok { core.counters.drop(.sendQueueFull); return }
            if !more { return }
            core.counters.datagramsOut += 1
        }
    }

    private func remove(_ conn: ClientConnection) {
        if !conn.established { handshaking -= 1 }
        byAddress[conn.address] = nil
        byId[conn.id] = nil
    }
}
