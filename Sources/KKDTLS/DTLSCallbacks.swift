import COpenSSL

/// Recovers the session from an `SSL *` inside OpenSSL's C callbacks. The session stores an
/// unretained pointer to itself as the SSL's app data; it owns the SSL, so it outlives it.
enum DTLSCallbacks {
    static func session(_ ssl: OpaquePointer?) -> DTLSSession? {
        guard let ssl, let p = crelay_ssl_get_app_data(ssl) else { return nil }
        return Unmanaged<DTLSSession>.fromOpaque(p).takeUnretainedValue()
    }
}
