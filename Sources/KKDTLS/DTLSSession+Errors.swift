import COpenSSL

extension DTLSSession {
    /// Maps a failed handshake call to a ``DTLSError`` (the one place OpenSSL results are mapped);
    /// drains the error queue.
    func handshakeError(sslError: Int32) -> DTLSError {
        let stack = OpenSSLErrorStack.capture(sslError: sslError)
        if let t = tokenRejection { return .tokenRejected(t) }
        if stack.contains(reason: crelay_ssl_r_read_timeout_expired()) { return .timeout }
        if let alert = stack.receivedAlert { return .alertReceived(alert) }
        if sslError == SSL_ERROR_ZERO_RETURN { return .peerClosed }
        return .handshakeFailed(stack)
    }

    /// Maps a failed `SSL_read` / `SSL_write` after the handshake; drains the error queue.
    func dataError(sslError: Int32) -> DTLSError {
        if sslError == SSL_ERROR_ZERO_RETURN {
            ERR_clear_error()
            return .peerClosed
        }
        let stack = OpenSSLErrorStack.capture(sslError: sslError)
        if stack.contains(reason: crelay_ssl_r_read_timeout_expired()) { return .timeout }
        if let alert = stack.receivedAlert, alert == 0 { return .peerClosed }
        return .protocolError(stack)
    }
}
