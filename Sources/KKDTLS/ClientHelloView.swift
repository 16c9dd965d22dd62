/// The parts of a first-flight DTLS ClientHello datagram the cookie gate needs, found by a
/// bounds-checked parse of the first record (trailing records are ignored, as DTLSv1_listen does).
struct ClientHelloView {
    /// Byte range of the cookie inside the datagram (may be empty).
    var cookie: Range<Int>

    static func parse(_ d: UnsafeRawBufferPointer) -> Result<ClientHelloView, DTLSGateDropReason> {
        let n = d.count
        let rh = DTLSRecordLayout.recordHeaderBytes
        let hh = DTLSRecordLayout.handshakeHeaderBytes
        guard n >= rh else { return .failure(.tooShort) }
        guard d[0] == DTLSRecordLayout.contentTypeHandshake else { return .failure(.notHandshake) }
        guard d[1] == DTLSRecordLayout.versionMajor else { return .failure(.badRecordVersion) }
        guard d[3] == 0, d[4] == 0 else { return .failure(.nonZeroEpoch) }
        let recordLen = u16(d, 11)
        guard recordLen >= hh, recordLen <= n - rh else { return .failure(.badRecordLength) }
        let h = rh
        guard d[h] == DTLSRecordLayout.handshakeClientHello else { return .failure(.notClientHello) }
        let msgLen = u24(d, h + 1)
        let msgSeq = u16(d, h + 4)
        let fragOff = u24(d, h + 6)
        let fragLen = u24(d, h + 9)
        guard fragLen == recordLen - hh else { return .failure(.badRecordLength) }
        guard fragOff == 0, fragLen == msgLen else { return .failure(.fragmented) }
        guard msgSeq <= 2 else { return .failure(.badMessageSequence) }
        let end = h + hh + fragLen
        var p = h + hh
        guard p + 2 <= end else { return .failure(.truncatedHello) }
        let version = u16(d, p)
        guard d[p] == DTLSRecordLayout.versionMajor, version <= Int(DTLSRecordLayout.dtls12) else {
            return .failure(.unsupportedVersion)
        }
        p += 2 + DTLSRecordLayout.randomBytes
        guard p + 1 <= end else { return .failure(.truncatedHello) }
        let sessionIdLen = Int(d[p])
        guard sessionIdLen <= DTLSRecordLayout.maxSessionIdBytes else { return .failure(.truncatedHello) }
        p += 1 + sessionIdLen
        guard p + 1 <= end else { return .failure(.truncatedHello) }
        let cookieLen = Int(d[p])
        p += 1
        // The cookie, then at least the cipher suites length must be inside the message.
        guard p + cookieLen + 2 <= end else { return .failure(.truncatedHello) }
        return .success(ClientHelloView(cookie: p..<(p + cookieLen)))
    }

    private static func u16(_ d: UnsafeRawBufferPointer, _ at: Int) -> Int { Int(d[at]) << 8 | Int(d[at + 1]) }
    private static func u24(_ d: UnsafeRawBufferPointer, _ at: Int) -> Int {
        Int(d[at]) << 16 | Int(d[at + 1]) << 8 | Int(d[at + 2])
    }
}
