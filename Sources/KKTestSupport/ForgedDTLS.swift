/// Datagrams forged onto an established DTLS session from its peer's address (UDP source
/// addresses are trivial to spoof), shared by the DTLS unit tests and the relay's live test.
public enum ForgedDTLS {
    /// One forged datagram and the labels of the record verdicts the relay's filter must give
    /// it (`DTLSRecordRejection.label`; empty: it passes the filter and OpenSSL must discard it
    /// silently because it does not authenticate).
    public struct Forgery: Sendable {
        public let name: String
        public let bytes: [UInt8]
        public let expected: [String]
        /// Random bytes: the verdicts depend on what they happen to look like.
        public var isRandom: Bool { name.hasPrefix("random") }
    }

    /// A DTLS record: header (type, version, epoch, 48-bit sequence, length) and body.
    public static func record(type: UInt8, version: UInt16 = 0xFEFD, epoch: UInt16, seq: UInt64, body: [UInt8],
                              length: Int? = nil) -> [UInt8] {
        let n = length ?? body.count
        var r: [UInt8] = [type, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(epoch >> 8), UInt8(epoch & 0xFF)]
        for i in (0..<6).reversed() { r.append(UInt8(truncatingIfNeeded: seq >> (8 * UInt64(i)))) }
        r += [UInt8(n >> 8), UInt8(n & 0xFF)]
        return r + body
    }

    /// Sixty-odd shapes: records of every type, epoch, version and length the filter must refuse,
    /// records that pass it but cannot authenticate, and random bytes.
    public static func datagrams(seed: UInt64) -> [Forgery] {
        var rng = SplitMix64(seed: seed)
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        func seq() -> UInt64 { UInt64.random(in: 0...(1 << 40), using: &rng) }
        var out: [Forgery] = [
            Forgery(name: "application data, bad tag", bytes: record(type: 23, epoch: 1, seq: seq(), body: bytes(60)), expected: []),
            Forgery(name: "application data, next sequence numbers", bytes: record(type: 23, epoch: 1, seq: 2, body: bytes(25)), expected: []),
            Forgery(name: "application data shorter than a tag", bytes: record(type: 23, epoch: 1, seq: seq(), body: bytes(8)), expected: ["too_short"]),
            Forgery(name: "empty application data", bytes: record(type: 23, epoch: 1, seq: seq(), body: []), expected: ["too_short"]),
            Forgery(name: "encrypted alert, bad tag", bytes: record(type: 21, epoch: 1, seq: seq(), body: bytes(26)), expected: []),
            Forgery(name: "plaintext fatal alert", bytes: record(type: 21, epoch: 0, seq: seq(), body: [2, 40]), expected: ["stale_epoch"]),
            Forgery(name: "plaintext close_notify at epoch 1", bytes: record(type: 21, epoch: 1, seq: seq(), body: [1, 0]), expected: ["too_short"]),
            Forgery(name: "replayed ClientHello", bytes: record(type: 22, epoch: 0, seq: 0, body: [1] + bytes(80)), expected: ["stale_epoch"]),
            Forgery(name: "handshake at epoch 1, bad tag", bytes: record(type: 22, epoch: 1, seq: seq(), body: bytes(40)), expected: []),
            Forgery(name: "change_cipher_spec", bytes: record(type: 20, epoch: 0, seq: seq(), body: [1]), expected: ["stale_epoch"]),
            Forgery(name: "change_cipher_spec at epoch 1", bytes: record(type: 20, epoch: 1, seq: seq(), body: bytes(20)), expected: ["unexpected_type"]),
            Forgery(name: "heartbeat", bytes: record(type: 24, epoch: 1, seq: seq(), body: bytes(40)), expected: ["unexpected_type"]),
            Forgery(name: "next-epoch handshake", bytes: record(type: 22, epoch: 2, seq: seq(), body: bytes(40)), expected: ["future_epoch"]),
            Forgery(name: "next-epoch alert", bytes: record(type: 21, epoch: 2, seq: seq(), body: bytes(30)), expected: ["future_epoch"]),
            Forgery(name: "DTLS 1.0 version", bytes: record(type: 23, version: 0xFEFF, epoch: 1, seq: seq(), body: bytes(40)), expected: ["wrong_version"]),
            Forgery(name: "TLS 1.2 version", bytes: record(type: 23, version: 0x0303, epoch: 1, seq: seq(), body: bytes(40)), expected: ["wrong_version"]),
            Forgery(name: "length past the end", bytes: record(type: 23, epoch: 1, seq: seq(), body: bytes(40), length: 500), expected: ["truncated"]),
            Forgery(name: "header cut short", bytes: Array(record(type: 23, epoch: 1, seq: seq(), body: [])[0..<9]), expected: ["truncated"]),
            Forgery(name: "oversized record", bytes: record(type: 23, epoch: 1, seq: seq(), body: bytes(3000)), expected: ["too_long"]),
            Forgery(name: "bad-tag record, then a short one",
                    bytes: record(type: 23, epoch: 1, seq: seq(), body: bytes(30)) + record(type: 23, epoch: 1, seq: seq(), body: bytes(4)),
                    expected: ["too_short"]),
            Forgery(name: "bad-tag record, then garbage",
                    bytes: record(type: 23, epoch: 1, seq: seq(), body: bytes(30)) + bytes(7), expected: ["truncated"]),
        ]
        for i in 0..<40 {
            let n = Int.random(in: 1...300, using: &rng)
            out.append(Forgery(name: "random \(i) (\(n) bytes)", bytes: bytes(n), expected: []))
        }
        return out
    }
}
