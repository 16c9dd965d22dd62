import COpenSSL
import KKWire

extension DTLSSession {
    /// Moves the next ciphertext datagram into `out`: whole records packed up to the MTU (a single
    /// larger record goes alone). Nil when nothing is queued. No allocation.
    public func drainOutgoing(into out: UnsafeMutableRawBufferPointer) throws(DTLSError) -> Int? {
        var data: UnsafeMutablePointer<CChar>? = nil
        let available = crelay_bio_get_mem_data(wbio, &data)
        guard available > 0, let data else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: available)
        let header = DTLSRecordLayout.recordHeaderBytes
        var total = 0
        while total + header <= available {
            let length = header + (Int(bytes[total + 11]) << 8 | Int(bytes[total + 12]))
            if total + length > available { break }
            if total > 0, total + length > DTLSContextSettings.mtu { break }
            total += length
        }
        if total == 0 { total = available }
        guard total <= out.count, let base = out.baseAddress else { throw .bufferTooSmall }
        let n = BIO_read(wbio, base, Int32(total))
        return n > 0 ? Int(n) : nil
    }

    /// Decrypts the next application-data record into `out`; nil when none is left. Records that
    /// fail authentication are dropped silently (DTLS); handshake retransmissions are answered
    /// (drain afterwards). Throws ``DTLSError/peerClosed`` on close_notify.
    public func readPlaintext(into out: UnsafeMutableRawBufferPointer) throws(DTLSError) -> Int? {
        switch state {
        case .established: break
        case .handshaking: throw .notEstablished
        case .failed, .closed: throw .closed
        }
        guard let base = out.baseAddress, out.count > 0 else { throw .bufferTooSmall }
        ERR_clear_error()
        let r = SSL_read(ssl, base, Int32(min(out.count, Int(Int32.max))))
        if r > 0 { return Int(r) }
        let code = SSL_get_error(ssl, r)
        if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { return nil }
        let error = dataError(sslError: code)
        if error == .peerClosed { state = .closed } else { state = .failed(error) }
        throw error
    }

    /// Encrypts one plaintext datagram (1...`Limits.maxDatagramBytes` bytes) as one record.
    public func writePlaintext(_ plaintext: UnsafeRawBufferPointer) throws(DTLSError) {
        switch state {
        case .established: break
        case .handshaking: throw .notEstablished
        case .failed, .closed: throw .closed
        }
        guard plaintext.count <= Limits.maxDatagramBytes else { throw .datagramTooLarge }
        guard let base = plaintext.baseAddress, plaintext.count > 0 else { return }
        ERR_clear_error()
        let r = SSL_write(ssl, base, Int32(plaintext.count))
        if r == Int32(plaintext.count) { return }
        throw fail(dataError(sslError: SSL_get_error(ssl, r)))
    }
}
