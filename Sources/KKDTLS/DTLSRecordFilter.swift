import KKWire

/// Why a record that reached an established session was dropped before OpenSSL saw it.
///
/// UDP source addresses are trivially forged, so anything arriving on a playing client's address
/// may come from someone else. An established session acts only on records that can be
/// authenticated; everything else is dropped and counted here, so OpenSSL never gets the chance
/// to answer it (an alert) or to fail the session over it.
public enum DTLSRecordRejection: Int, CaseIterable, Sendable {
    /// A record header or body runs past the end of the datagram (the rest of it is dropped).
    case truncated
    /// A record version other than DTLS 1.2.
    case wrongVersion
    /// Epoch 0, the handshake's: a retransmission of the peer's last flight (which the session
    /// no longer needs) or a forgery (a replayed handshake, a plaintext alert).
    case staleEpoch
    /// An epoch the session never reaches (it never changes keys after the handshake).
    case futureEpoch
    /// A content type an established peer does not send (change_cipher_spec, heartbeat, unknown).
    case unexpectedType
    /// Shorter than the smallest record that can carry an authentication tag.
    case tooShort
    /// Longer than any record this protocol sends.
    case tooLong

    /// A short, stable label for metrics.
    public var label: String {
        switch self {
        case .truncated: "truncated"
        case .wrongVersion: "wrong_version"
        case .staleEpoch: "stale_epoch"
        case .futureEpoch: "future_epoch"
        case .unexpectedType: "unexpected_type"
        case .tooShort: "too_short"
        case .tooLong: "too_long"
        }
    }
}

/// Splits a datagram for an established session into the records OpenSSL may see and the ones
/// it must not (pure: no OpenSSL call, no allocation). What passes still has to authenticate:
/// OpenSSL silently discards a DTLS record whose tag or MAC does not verify (RFC 6347 §4.1.2.7)
/// and its replay window drops repeats; what this filter removes are the records OpenSSL would
/// act on without authenticating them first.
public enum DTLSRecordFilter {
    /// The read epoch of an established session: 1 after the handshake, and never another
    /// (renegotiation is disabled in every context).
    public static let establishedEpoch: UInt16 = 1
    /// Smallest body of an authenticated ChaCha20-Poly1305 record: a 16-byte tag plus at least
    /// one byte. OpenSSL fails the session (internal error) on a record shorter than its
    /// cipher's tag, so anything shorter must never reach it.
    public static let minimumChaChaBodyBytes = 17
    /// Smallest body of an authenticated AES-GCM record: 8-byte explicit nonce, 16-byte tag, one byte.
    public static let minimumGCMBodyBytes = 25
    /// Largest body: a datagram buffer's worth (no record this protocol sends comes close).
    public static let maximumBodyBytes = Limits.datagramBufferBytes

    // Content types an established peer sends (change_cipher_spec, 20, belongs to the handshake).
    @usableFromInline static let alert: UInt8 = 21
    @usableFromInline static let handshake: UInt8 = 22
    @usableFromInline static let applicationData: UInt8 = 23

    /// Calls `accept` with each record of `datagram` that an established session may hand to
    /// OpenSSL, in order, and `reject` once per record it must not. A header that runs past the
    /// datagram's end ends the walk (one `.truncated` for the rest). `minimumBodyBytes` is the
    /// negotiated cipher's smallest authenticated record.
    @inlinable
    public static func walk(_ datagram: UnsafeRawBufferPointer, minimumBodyBytes: Int = minimumChaChaBodyBytes,
                            accept: (UnsafeRawBufferPointer) -> Void,
                            reject: (DTLSRecordRejection) -> Void) {
        let header = DTLSRecordLayout.recordHeaderBytes
        var at = 0
        while at < datagram.count {
            guard datagram.count - at >= header else { reject(.truncated); return }
            let length = Int(datagram[at + 11]) << 8 | Int(datagram[at + 12])
            guard length <= datagram.count - at - header else { reject(.truncated); return }
            let record = UnsafeRawBufferPointer(rebasing: datagram[at..<(at + header + length)])
            at += header + length
            if let why = rejection(type: record[0], version: UInt16(record[1]) << 8 | UInt16(record[2]),
                                   epoch: UInt16(record[3]) << 8 | UInt16(record[4]), bodyBytes: length,
                                   minimumBodyBytes: minimumBodyBytes) {
                reject(why)
            } else {
                accept(record)
            }
        }
    }

    /// The verdict on one record header (nil: hand it to OpenSSL).
    @inlinable
    public static func rejection(type: UInt8, version: UInt16, epoch: UInt16, bodyBytes: Int,
                                 minimumBodyBytes: Int = minimumChaChaBodyBytes) -> DTLSRecordRejection? {
        guard version == DTLSRecordLayout.dtls12 else { return .wrongVersion }
        if epoch < establishedEpoch { return .staleEpoch }
        if epoch > establishedEpoch { return .futureEpoch }
        guard type == applicationData || type == alert || type == handshake else { return .unexpectedType }
        if bodyBytes < minimumBodyBytes { return .tooShort }
        if bodyBytes > maximumBodyBytes { return .tooLong }
        return nil
    }
}
