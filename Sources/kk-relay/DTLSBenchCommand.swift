import ArgumentParser
import Foundation
import Glibc
import KKDTLS
import KKToken
import KKWire

/// `kk-relay dtls-bench`: the relay's DTLS server side in memory (no sockets), timed the way
/// udpbench's dtlsbench times its server: full handshakes through the cookie gate with the
/// sealed token as PSK identity (opened and checked in the PSK callback), then 80-byte
/// datagrams decrypted and echoed, then state frames encrypted. Prints one JSON line with
/// dtlsbench's field names so bench.sh can put the two side by side.
struct DTLSBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dtls-bench",
        abstract: "In-memory cost of the relay's DTLS server side (PSK handshake with token, cookie exchange, per datagram).")

    @Option(help: "Full handshakes to time.") var handshakes = 500
    @Option(help: "Datagrams to echo (server decrypt + encrypt).") var packets = 20_000
    @Option(help: "Echoed datagram size.") var echoBytes = 80
    @Option(help: "Frame size for the encrypt-only figure.") var frameBytes = 600

    func validate() throws {
        guard handshakes >= 1, packets >= 1 else { throw ValidationError("--handshakes and --packets must be >= 1") }
        guard (1...1200).contains(echoBytes), (1...1200).contains(frameBytes) else {
            throw ValidationError("--echo-bytes and --frame-bytes must be 1...1200")
        }
    }

    func run() throws {
        let key = try TokenKey.random()
        let issuer = try TokenIssuer(key: key)
        let server = try DTLSServerContext(validator: try TokenValidator(keys: [key]),
                                           cookieKey: try DTLSCookieKey(secret: (0..<32).map { _ in UInt8.random(in: 0...255) }))
        let clientContext = try DTLSClientContext()
        let gate = server.gate
        let now = UInt64(time(nil))
        var wire = [UInt8](repeating: 0, count: DTLSRecordLayout.maxCiphertextDatagramBytes)
        var response = [UInt8](repeating: 0, count: 256)
        var plain = [UInt8](repeating: 0, count: Limits.datagramBufferBytes)
        var serverNanos: UInt64 = 0, clientNanos: UInt64 = 0
        var cookies = 0, flights = 0
        var suite = "?"
        var last: (client: DTLSSession, server: DTLSSession)?

        func timed<T>(_ acc: inout UInt64, _ body: () throws -> T) rethrows -> T {
            let t0 = DispatchTime.now().uptimeNanoseconds
            defer { acc += DispatchTime.now().uptimeNanoseconds - t0 }
            return try body()
        }

        for i in 0..<handshakes {
            let token = try issuer.issue(playerId: UInt64(i + 1), matchId: 7, now: now, validSeconds: 60, relays: [])
            let peer: [UInt8] = [127, 0, 0, 1, UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)]
            let client = try timed(&clientNanos) { try DTLSSession(client: clientContext, token: token) }
            var serverSession: DTLSSession?
            _ = timed(&clientNanos) { client.advance() }
            var rounds = 0
            while rounds < 16, !(client.isEstablished && serverSession?.isEstablished == true) {
                rounds += 1
                // client -> server
                while let n = try wire.withUnsafeMutableBytes({ w in try timed(&clientNanos) { try client.drainOutgoing(into: w) } }) {
                    flights += 1
                    if let s = serverSession {
                        try timed(&serverNanos) {
                            try wire.withUnsafeBytes { try s.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                            if !s.isEstablished { _ = s.advance() }
                        }
                        continue
                    }
                    let verdict = timed(&serverNanos) {
                        wire.withUnsafeBytes { w in peer.withUnsafeBytes { p in response.withUnsafeMutableBytes { r in
                            gate.inspect(UnsafeRawBufferPointer(rebasing: w[0..<n]), peer: p, nowSeconds: now, response: r)
                        } } }
                    }
                    switch verdict {
                    case .sendHelloVerifyRequest(let length, _):
                        try timed(&clientNanos) {
                            try response.withUnsafeBytes { try client.feed(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
                            _ = client.advance()
                        }
                    case .startSession:
                        cookies += 1
                        let s = try timed(&serverNanos) { () throws -> DTLSSession in
                            let s = try peer.withUnsafeBytes { try DTLSSession(server: server, peer: $0) }
                            try wire.withUnsafeBytes { try s.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                            _ = s.advance()
                            return s
                        }
                        serverSession = s
                    case .drop:
                        throw ValidationError("the cookie gate dropped a handshake datagram")
                    }
                }
                // server -> client
                guard let s = serverSession else { continue }
                while let n = try wire.withUnsafeMutableBytes({ w in try timed(&serverNanos) { try s.drainOutgoing(into: w) } }) {
                    try timed(&clientNanos) {
                        try wire.withUnsafeBytes { try client.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                        if !client.isEstablished { _ = client.advance() }
                    }
                }
            }
            guard let s = serverSession, s.isEstablished, client.isEstablished else {
                throw ValidationError("handshake \(i) did not complete")
            }
            suite = s.cipherSuiteName ?? suite
            last = (client, s)
        }

        // Per datagram: the client sends `echoBytes`, the server decrypts and encrypts a reply.
        guard let (client, s) = last else { throw ValidationError("no session") }
        let payload = [UInt8](repeating: 0x5A, count: echoBytes)
        let frame = [UInt8](repeating: 0x33, count: frameBytes)
        var echoNanos: UInt64 = 0, frameNanos: UInt64 = 0
        for _ in 0..<packets {
            try payload.withUnsafeBytes { try client.writePlaintext($0) }
            let n = try wire.withUnsafeMutableBytes { try client.drainOutgoing(into: $0) }!
            try timed(&echoNanos) {
                try wire.withUnsafeBytes { try s.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                let m = try plain.withUnsafeMutableBytes { try s.readPlaintext(into: $0) }!
                try plain.withUnsafeBytes { try s.writePlaintext(UnsafeRawBufferPointer(rebasing: $0[0..<m])) }
                _ = try wire.withUnsafeMutableBytes { try s.drainOutgoing(into: $0) }
            }
            try timed(&frameNanos) {
                try frame.withUnsafeBytes { try s.writePlaintext($0) }
                _ = try wire.withUnsafeMutableBytes { try s.drainOutgoing(into: $0) }
            }
        }
        let serverUs = Double(serverNanos) / 1000 / Double(handshakes)
        let line: [String: Any] = [
            "suite": suite, "mode": "psk-token", "handshakes": handshakes, "hs_flights": flights / max(1, handshakes),
            "cookies_verified": cookies, "server_us_per_hs": (serverUs * 10).rounded() / 10,
            "server_hs_per_s": Int(1e6 / serverUs), "client_us_per_hs": (Double(clientNanos) / 1000 / Double(handshakes) * 10).rounded() / 10,
            "echo_bytes": echoBytes, "echo_server_ns_per_pkt": Int(echoNanos / UInt64(packets)),
            "frame_bytes": frameBytes, "frame_encrypt_ns": Int(frameNanos / UInt64(packets)),
        ]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
