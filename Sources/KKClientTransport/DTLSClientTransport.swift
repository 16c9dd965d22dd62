import KKDTLS
import KKLoop
import KKToken
import KKWire

/// The client side of the relay link: a UDP socket, a DTLS 1.2 session authenticating with the
/// connect token (PSK identity = sealed token, PSK = client key), driven by a libuv loop.
/// Plaintext packets in and out; retransmits during the handshake. Used by the client SDK, the
/// terminal client, the load generator and the tests. Loop-thread only.
public final class DTLSClientTransport {
    public enum State: Equatable, Sendable {
        case handshaking
        case established
        /// The handshake or the session failed (``DTLSClientTransport/describe(_:)`` words it for a player).
        case failed(DTLSError)
        case closed
    }

    public let relay: PeerAddress
    public private(set) var state: State = .handshaking
    private let udp: BatchedUDPSocket
    private var poll: LoopPoll?
    private let timer: LoopTimer
    private let session: DTLSSession
    private let loop: EventLoop
    private let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: Limits.datagramBufferBytes, alignment: 16)
    /// Called for every decrypted packet (bytes valid during the call).
    public var onPacket: (UnsafeRawBufferPointer) -> Void = { _ in }
    /// Called on every state change.
    public var onState: (State) -> Void = { _ in }
    public private(set) var bytesSent = 0, bytesReceived = 0, datagramsSent = 0, datagramsReceived = 0
    /// UDP payload bytes (DTLS records, handshake included) sent and received.
    public private(set) var wireBytesSent = 0, wireBytesReceived = 0
    /// Monotonic ms when the handshake started and finished.
    public let startedMillis: UInt64
    public private(set) var establishedMillis: UInt64?

    /// Starts a handshake with the relay at `relay` using `token`.
    public init(loop: EventLoop, relay: PeerAddress, token: ConnectToken, context: DTLSClientContext) throws(ClientTransportError) {
        self.loop = loop
        self.relay = relay
        // Any local address: the kernel picks the source the route to the relay takes (a relay on
        // loopback gets 127.0.0.1; a real one, or an anycast address in a namespace, the interface's).
        let local = PeerAddress(host: relay.family == 10 ? "::" : "0.0.0.0", port: 0)!
        do { udp = try BatchedUDPSocket(bind: local, batch: 16, socketBufferBytes: 1 << 20) } catch { throw .socket(error) }
        do { session = try DTLSSession(client: context, token: token) } catch { throw .dtls(error) }
        timer = LoopTimer(loop: loop)
        loop.updateTime()
        startedMillis = loop.nowMillis
        do {
            let p = try LoopPoll(loop: loop, fd: udp.fd)
            poll = p
            p.start(.readable) { [unowned self] _ in self.readable() }
        } catch { throw .socket(error) }
        timer.start(afterMillis: 20, repeatMillis: 20) { [unowned self] in self.retransmit() }
        advance()
    }

    deinit {
        close()
        plaintext.deallocate()
    }

    /// Encrypts and sends one packet (only once established).
    @discardableResult
    public func send(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard state == .established else { return false }
        do throws(DTLSError) { try session.writePlaintext(packet) } catch { fail(error); return false }
        bytesSent += packet.count
        drain()
        return true
    }

    /// Encrypts and sends a packet array (cold paths).
    @discardableResult
    public func send(_ packet: [UInt8]) -> Bool { packet.withUnsafeBytes { send($0) } }

    /// The UDP socket (tests send forged datagrams from the client's own address with it).
    package var socketDescriptor: Int32 { udp.fd }

    /// Sends a close_notify and stops.
    public func close() {
        // The handles go even when the relay closed first (close_notify: state .closed already):
        // a poll left registered would make the next socket on the same fd fail (EEXIST).
        guard !handlesClosed else { return }
        handlesClosed = true
        if state == .established { session.shutdown(); drain() }
        state = .closed
        timer.stop(); timer.close()
        poll?.stop(); poll?.close(); poll = nil
    }

    private var handlesClosed = false

    private func readable() {
        udp.receive { bytes, from in
            guard from == relay else { return }
            datagramsReceived += 1
            wireBytesReceived += bytes.count
            do { try session.feed(bytes) } catch { return }
            if state == .handshaking { advance() }
            guard state == .established else { return }
            while true {
                let n: Int?
                do throws(DTLSError) { n = try session.readPlaintext(into: plaintext) } catch {
                    if case .peerClosed = error { setState(.closed) } else { fail(error) }
                    return
                }
                guard let n else { break }
                bytesReceived += n
                onPacket(UnsafeRawBufferPointer(rebasing: plaintext[0..<n]))
            }
        }
        udp.flush()
    }

    private func advance() {
        switch session.advance() {
        case .wantMore: drain()
        case .established:
            drain()
            establishedMillis = loop.nowMillis
            setState(.established)
        case .failed(let e):
            drain()
            fail(e)
        }
    }

    private func retransmit() {
        guard state == .handshaking else { return }
        do { if try session.handleTimeout() { drain() } } catch { fail(error) }
    }

    private func drain() {
        while true {
            var wrote = false
            udp.send(to: relay) { slot in
                guard let n = try? session.drainOutgoing(into: slot) else { return 0 }
                wrote = true
                wireBytesSent += n
                return n
            }
            guard wrote else { break }
            datagramsSent += 1
        }
        udp.flush()
    }

    private func fail(_ error: DTLSError) { setState(.failed(error)) }

    private func setState(_ s: State) {
        guard state != s else { return }
        state = s
        // The retransmit timer only serves the handshake: once established (or failed) it stops,
        // so an idle established client costs no timer wake-ups.
        if s != .handshaking {
            timer.stop()
        }
        onState(s)
    }

    /// Words a player can understand for a handshake failure.
    public static func describe(_ e: DTLSError) -> String {
        switch e {
        case .alertReceived(115): "handshake failed: the relay refused the ticket (expired or invalid)"
        case .timeout: "handshake failed: the relay did not answer"
        default: "handshake failed: \(e)"
        }
    }
}

/// Why a client transport could not start.
public enum ClientTransportError: Error, Equatable, Sendable {
    /// The UDP socket or its poll handle could not be set up.
    case socket(IOError)
    /// The DTLS session could not be created.
    case dtls(DTLSError)
}
