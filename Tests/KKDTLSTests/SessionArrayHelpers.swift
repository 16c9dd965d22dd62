import KKDTLS

/// Array conveniences for tests. Array.withUnsafeBytes closures cannot use typed throws on
/// Swift 6.3 (the compiler crashes), so each one goes through a `Result`.
extension DTLSSession {
    func feed(_ bytes: [UInt8]) throws(DTLSError) {
        let r: Result<Void, DTLSError> = bytes.withUnsafeBytes { b in
            do throws(DTLSError) { try feed(b); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    func write(_ bytes: [UInt8]) throws(DTLSError) {
        let r: Result<Void, DTLSError> = bytes.withUnsafeBytes { b in
            do throws(DTLSError) { try writePlaintext(b); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    func drain(into buffer: inout [UInt8]) throws(DTLSError) -> Int? {
        let r: Result<Int?, DTLSError> = buffer.withUnsafeMutableBytes { b in
            do throws(DTLSError) { return .success(try drainOutgoing(into: b)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    func read(into buffer: inout [UInt8]) throws(DTLSError) -> Int? {
        let r: Result<Int?, DTLSError> = buffer.withUnsafeMutableBytes { b in
            do throws(DTLSError) { return .success(try readPlaintext(into: b)) } catch { return .failure(error) }
        }
        return try r.get()
    }
}
