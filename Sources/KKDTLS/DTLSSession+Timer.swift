import COpenSSL
import Glibc

extension DTLSSession {
    /// When the retransmission timer fires, as `nowMillis` plus what OpenSSL has left; nil when
    /// no timer runs (nothing in flight).
    public func nextTimeout(nowMillis: Int64) -> Int64? {
        var tv = timeval()
        guard crelay_dtls_get_timeout(ssl, &tv) == 1 else { return nil }
        return nowMillis + Int64(tv.tv_sec) * 1000 + (Int64(tv.tv_usec) + 999) / 1000
    }

    /// Retransmits the last flight if the timer expired (then drain). Returns whether it did;
    /// throws ``DTLSError/timeout`` after too many retransmissions.
    @discardableResult
    public func handleTimeout() throws(DTLSError) -> Bool {
        switch state {
        case .handshaking, .established: break
        case .failed, .closed: return false
        }
        ERR_clear_error()
        let r = crelay_dtls_handle_timeout(ssl)
        if r > 0 { return true }
        if r == 0 {
            ERR_clear_error()
            return false
        }
        throw fail(handshakeError(sslError: SSL_get_error(ssl, Int32(truncatingIfNeeded: r))))
    }

    /// Sends close_notify (drain afterwards) and closes the session.
    public func shutdown() {
        if case .established = state {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
        }
        state = .closed
    }
}
