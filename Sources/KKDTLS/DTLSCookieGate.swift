/// The stateless front door for datagrams from addresses without a session: parses a DTLS 1.2
/// ClientHello by hand (bounds-checked, never traps, no allocation) and either answers it with a
/// HelloVerifyRequest carrying a cookie for the sender's address, lets it through when its
/// cookie verifies, or drops it with a reason.
///
/// A spoofed flood therefore costs one parse and at most one HMAC per packet, creates no state,
/// and each response is smaller than its request (no amplification). The cookie is the one the
/// ``DTLSServerContext`` cookie-verify callback accepts for the same key, address and time, so a
/// session started on ``DTLSGateVerdict/startSession`` completes the handshake.
public struct DTLSCookieGate: Sendable {
    public let key: DTLSCookieKey

    public init(key: DTLSCookieKey) {
        self.key = key
    }

    /// Inspects a first `datagram` from `peer` (the address bytes the relay also gives the
    /// session) at unix time `nowSeconds`; a HelloVerifyRequest goes into `response`.
    public func inspect(_ datagram: UnsafeRawBufferPointer, peer: UnsafeRawBufferPointer, nowSeconds: UInt64,
                        response: UnsafeMutableRawBufferPointer) -> DTLSGateVerdict {
        let hello: ClientHelloView
        switch ClientHelloView.parse(datagram) {
        case .success(let h): hello = h
        case .failure(let reason): return .drop(reason)
        }
        guard peer.count <= DTLSCookieKey.maxPeerBytes else { return .drop(.badPeerAddress) }
        let cookie = UnsafeRawBufferPointer(rebasing: datagram[hello.cookie])
        if !cookie.isEmpty, key.verify(cookie: cookie, peer: peer, nowSeconds: nowSeconds) {
            return .startSession
        }
        let total = DTLSRecordLayout.helloVerifyRequestBytes
        guard response.count >= total, total <= datagram.count else { return .drop(.noRoomForResponse) }
        writeHelloVerifyRequest(recordSequence: UnsafeRawBufferPointer(rebasing: datagram[3..<11]), peer: peer,
                                nowSeconds: nowSeconds, into: response)
        return .sendHelloVerifyRequest(length: total, staleCookie: !cookie.isEmpty)
    }

    /// Writes the HelloVerifyRequest (as OpenSSL's DTLSv1_listen does): DTLS 1.0 record version,
    /// the ClientHello's epoch and sequence number, message_seq 0, unfragmented.
    private func writeHelloVerifyRequest(recordSequence: UnsafeRawBufferPointer, peer: UnsafeRawBufferPointer,
                                         nowSeconds: UInt64, into out: UnsafeMutableRawBufferPointer) {
        let cookieLen = DTLSCookieKey.cookieBytes
        let bodyLen = 3 + cookieLen
        let recordLen = DTLSRecordLayout.handshakeHeaderBytes + bodyLen
        out[0] = DTLSRecordLayout.contentTypeHandshake
        out[1] = UInt8(DTLSRecordLayout.dtls10 >> 8)
        out[2] = UInt8(DTLSRecordLayout.dtls10 & 0xFF)
        for i in 0..<8 { out[3 + i] = recordSequence[i] }
        out[11] = UInt8(recordLen >> 8)
        out[12] = UInt8(recordLen & 0xFF)
        let h = DTLSRecordLayout.recordHeaderBytes
        out[h] = DTLSRecordLayout.handshakeHelloVerifyRequest
        Self.putU24(bodyLen, out, h + 1)       // length
        out[h + 4] = 0; out[h + 5] = 0         // message_seq
        Self.putU24(0, out, h + 6)             // fragment_offset
        Self.putU24(bodyLen, out, h + 9)       // fragment_length
        let b = h + DTLSRecordLayout.handshakeHeaderBytes
        out[b] = UInt8(DTLSRecordLayout.dtls10 >> 8)
        out[b + 1] = UInt8(DTLSRecordLayout.dtls10 & 0xFF)
        out[b + 2] = UInt8(cookieLen)
        _ = key.makeCookie(peer: peer, nowSeconds: nowSeconds,
                           into: UnsafeMutableRawBufferPointer(rebasing: out[(b + 3)..<(b + 3 + cookieLen)]))
    }

    private static func putU24(_ v: Int, _ out: UnsafeMutableRawBufferPointer, _ at: Int) {
        out[at] = UInt8((v >> 16) & 0xFF)
        out[at + 1] = UInt8((v >> 8) & 0xFF)
        out[at + 2] = UInt8(v & 0xFF)
    }
}
