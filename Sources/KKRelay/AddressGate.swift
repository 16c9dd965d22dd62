import KKDTLS
import KKLoop
import KKRelayCore
import KKWire

/// The first stage for a datagram from an address without a connection: that address's
/// datagram rate limit, the stateless DTLS cookie gate (HelloVerifyRequest, no state kept) and
/// the address's handshake rate limit. The buckets of unknown addresses live in tables cleared
/// every second; an address that gets a connection takes its bucket along. Loop-thread only.
final class AddressGate {
    /// What to do with the datagram.
    enum Verdict {
        case drop(RelayDropReason)
        /// Send the first `length` bytes of ``response`` (a HelloVerifyRequest) back.
        case reply(length: Int)
        /// Send the first `length` bytes of ``response`` (a ``RelayPing`` answer) back.
        case pong(length: Int)
        /// A ClientHello with a valid cookie: start a DTLS session for the address.
        case startSession
    }

    private let config: RelayConfig
    private let cookies: DTLSCookieGate
    /// Holds the HelloVerifyRequest of the last ``Verdict/reply(length:)``.
    let response = UnsafeMutableRawBufferPointer.allocate(byteCount: Limits.datagramBufferBytes, alignment: 16)
    private var packetBuckets: [PeerAddress: TokenBucket] = [:]
    private var handshakeBuckets: [PeerAddress: TokenBucket] = [:]
    /// The load a ping answer reports (0...255: sessions against the configured maximum).
    var load: UInt8 = 0
    /// Per-address limits: the configured ones until the control plane changes them.
    private(set) var packetsPerSecond: Double
    private(set) var handshakesPerSecond: Double

    init(config: RelayConfig, cookies: DTLSCookieGate) {
        self.config = config
        self.cookies = cookies
        packetsPerSecond = config.packetsPerSecondPerAddress
        handshakesPerSecond = config.handshakesPerSecondPerAddress
        packetBuckets.reserveCapacity(1024)
    }

    /// New per-address limits (control plane `rateLimits`): addresses start over under them;
    /// connections made from now on get the new datagram rate.
    func setRateLimits(packetsPerSecond p: Double?, handshakesPerSecond h: Double?) {
        if let p { packetsPerSecond = p }
        if let h { handshakesPerSecond = h }
        packetBuckets.removeAll(keepingCapacity: true)
        handshakeBuckets.removeAll(keepingCapacity: true)
    }

    deinit { response.deallocate() }

    /// A datagram from `from`, which has no connection.
    func admit(_ bytes: UnsafeRawBufferPointer, from: PeerAddress, nowMillis: UInt64, nowSeconds: UInt64) -> Verdict {
        var bucket = packetBuckets[from] ?? newPacketBucket(nowMillis)
        let ok = bucket.take(nowMillis: nowMillis)
        packetBuckets[from] = bucket
        guard ok else { return .drop(.rateLimited) }
        if let n = RelayPing.answer(bytes, load: load, into: response) { return .pong(length: n) }
        let verdict = from.withBytes { peer in cookies.inspect(bytes, peer: peer, nowSeconds: nowSeconds, response: response) }
        switch verdict {
        case .drop(let reason):
            return .drop(RelayDropReason(gate: reason))
        case .sendHelloVerifyRequest(let length, _):
            return .reply(length: length)
        case .startSession:
            if handshakeBuckets[from] == nil {
                handshakeBuckets[from] = TokenBucket(ratePerSecond: handshakesPerSecond, burst: max(1, handshakesPerSecond), nowMillis: nowMillis)
            }
            guard handshakeBuckets[from]!.take(nowMillis: nowMillis) else { return .drop(.handshakeRateLimited) }
            return .startSession
        }
    }

    /// The datagram bucket for a new connection at `address` (the one its first datagram used).
    func connectionBucket(for address: PeerAddress, nowMillis: UInt64) -> TokenBucket {
        packetBuckets[address] ?? newPacketBucket(nowMillis)
    }

    /// A fresh bucket for one address: `packetsPerSecondPerAddress`, a second's worth of burst.
    func newPacketBucket(_ nowMillis: UInt64) -> TokenBucket {
        TokenBucket(ratePerSecond: packetsPerSecond, burst: packetsPerSecond, nowMillis: nowMillis)
    }

    /// Once a second: unknown addresses start over (the tables stay bounded under spoofed floods).
    func everySecond() {
        packetBuckets.removeAll(keepingCapacity: true)
        if handshakeBuckets.count > 100_000 { handshakeBuckets.removeAll(keepingCapacity: true) }
    }
}
