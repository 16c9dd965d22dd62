import KKWire

/// Targets for the packets of the realtime path: client -> relay datagrams (after DTLS), relay
/// -> client datagrams, and the relay <-> shard ENet link.
enum PacketTargets {
    static let all: [FuzzTarget] = [clientDatagram, clientPacket, relayPacket, shardPacket, relayPing]

    /// Whole datagrams, checksum included: the framing itself (size, protocol id, version, CRC).
    static let clientDatagram = FuzzTarget(
        name: "client-datagram", summary: "raw client datagrams into ClientToRelay.decode (framing and checksum)",
        seeds: { PacketSeeds.client }) { (raw) throws(FuzzViolation) in
            (try? ClientToRelay.decode(raw)) == nil ? .rejected : .accepted
        }

    /// Type byte and body, framed here: every client packet's body decoder, and each decoded
    /// packet survives its own encoder.
    static let clientPacket = FuzzTarget(
        name: "client-packet", summary: "client packet bodies (framed with a valid CRC) into ClientToRelay.decode; re-encode round trip",
        seeds: { PacketSeeds.client.map(Framing.typeAndBody) }) { (raw) throws(FuzzViolation) in
            let t = "client-packet"
            let packet = Framing.packet(typeAndBody: raw, limit: Limits.maxDatagramBytes)
            guard let m = decoded(packet, { try ClientToRelay.decode($0) }) else { return .rejected }
            switch m {
            case .hello(let p): try roundTrips(p, t)
            case .input(let p): try roundTrips(p, t)
            case .ping(let p): try roundTrips(p, t)
            case .disconnect(let p): try roundTrips(p, t)
            }
            return .accepted
        }

    /// What a client decodes from its relay: welcome, frames (payload range inside the packet,
    /// round trip), pong, disconnect, resume ticket.
    static let relayPacket = FuzzTarget(
        name: "relay-packet", summary: "relay -> client packet bodies (framed) into RelayToClient.decode; frame payload bounds; round trip",
        seeds: { PacketSeeds.relay.map(Framing.typeAndBody) }) { (raw) throws(FuzzViolation) in
            let t = "relay-packet"
            let packet = Framing.packet(typeAndBody: raw, limit: Limits.maxDatagramBytes)
            guard let m = decoded(packet, { try RelayToClient.decode($0) }) else { return .rejected }
            switch m {
            case .welcome(let p): try roundTrips(p, t)
            case .pong(let p): try roundTrips(p, t)
            case .resumeTicket(let p): try roundTrips(p, t)
            case .disconnect(let p): try roundTrips(p, t)
            case .frame(let f):
                let payload = try bounded(f.payload, in: packet, t)
                guard let again = try? f.encoded(payload: payload),
                      let g = decoded(again, { try RelayToClient.decode($0) }), case .frame(let f2) = g, f2 == f else {
                    throw FuzzViolation(t, "frame \(f) did not survive its encoder")
                }
            }
            return .accepted
        }

    /// The relay <-> shard link: joins, replies, leaves, input batches, match frames.
    static let shardPacket = FuzzTarget(
        name: "shard-packet", summary: "relay <-> shard ENet packet bodies (framed) into ShardMessage.decode; batch entries; round trip",
        seeds: { PacketSeeds.shard.map(Framing.typeAndBody) }) { (raw) throws(FuzzViolation) in
            let packet = Framing.packet(typeAndBody: raw, limit: Limits.maxShardPacketBytes)
            // An input batch is a view into the packet's buffer: read it while the buffer lives.
            let result: Result<FuzzTarget.Outcome, FuzzViolation> = packet.withUnsafeBytes { buffer in
                do throws(FuzzViolation) { return .success(try shardMessage(buffer, packet)) } catch { return .failure(error) }
            }
            return try result.get()
        }

    static func shardMessage(_ buffer: UnsafeRawBufferPointer, _ packet: [UInt8]) throws(FuzzViolation) -> FuzzTarget.Outcome {
        let t = "shard-packet"
        guard let m = try? ShardMessage.decode(buffer) else { return .rejected }
        let big = Limits.maxShardPacketBytes
        switch m {
        case .relayHello(let p): try roundTrips(p, t, limit: big)
        case .joinRequest(let p): try roundTrips(p, t, limit: big)
        case .joinReply(let p): try roundTrips(p, t, limit: big)
        case .leave(let p): try roundTrips(p, t, limit: big)
        case .inputBatch(let view):
            guard let entries = try? view.all(), entries.count == view.count else {
                throw FuzzViolation(t, "batch header promised \(view.count) entries that do not read")
            }
            guard let again = try? PacketSeeds.batch(seq: view.batchSeq, entries),
                  again.withUnsafeBytes({ raw in
                      guard case .inputBatch(let v2)? = try? ShardMessage.decode(raw) else { return false }
                      return v2.batchSeq == view.batchSeq && (try? v2.all()) == entries
                  }) else {
                throw FuzzViolation(t, "input batch did not survive its encoder")
            }
        case .matchFrame(let f):
            let payload = try bounded(f.payload, in: packet, t)
            guard let again = try? f.encoded(payload: payload),
                  let g = decoded(again, { try ShardMessage.decode($0) }), case .matchFrame(let f2) = g, f2 == f else {
                throw FuzzViolation(t, "match frame \(f.matchId)@\(f.tick) did not survive its encoder")
            }
        }
        return .accepted
    }

    /// Relay pings (the SDK's relay choice): the relay answers whatever arrives on its ping
    /// path, the client parses answers.
    static let relayPing = FuzzTarget(
        name: "relay-ping", summary: "relay ping requests into RelayPing.answer and answers into RelayPing.parseAnswer",
        seeds: { [RelayPing.request(nonce: 0x1234_5678_9ABC), RelayPing.request(nonce: 1)] }) { (raw) throws(FuzzViolation) in
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
            defer { out.deallocate() }
            let answered = RelayPing.answer(raw, load: 7, into: out)
            if let n = answered {
                guard n <= 64, RelayPing.parseAnswer(Array(UnsafeRawBufferPointer(rebasing: out[0..<n]))) != nil else {
                    throw FuzzViolation("relay-ping", "an answer the relay wrote does not parse")
                }
            }
            let parsed = RelayPing.parseAnswer(Array(raw))
            return answered != nil || parsed != nil ? .accepted : .rejected
        }

    // MARK: - Properties

    /// `p` encodes, and decodes back to itself.
    static func roundTrips<P: WirePacket & Equatable>(_ p: P, _ target: String,
                                                      limit: Int = Limits.maxDatagramBytes) throws(FuzzViolation) {
        let again: P
        do { again = try p.encoded(capacity: limit).decodePacket(P.self, maxBytes: limit) } catch {
            throw FuzzViolation(target, "\(P.self) decoded but does not survive its encoder: \(error)")
        }
        guard again == p else { throw FuzzViolation(target, "\(P.self) re-encoded differs: \(p) then \(again)") }
    }

    /// The bytes of `range`, which must lie inside the packet's body.
    static func bounded(_ range: Range<Int>, in packet: [UInt8], _ target: String) throws(FuzzViolation) -> [UInt8] {
        guard range.lowerBound >= Limits.headerBytes, range.upperBound <= packet.count - Limits.checksumBytes else {
            throw FuzzViolation(target, "payload \(range) outside the body of a \(packet.count)-byte packet")
        }
        return Array(packet[range])
    }

    /// `body(packet)`, or nil when it throws (not for views into the packet: they do not outlive it).
    static func decoded<T>(_ packet: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> T) -> T? {
        packet.withUnsafeBytes { raw in try? body(raw) }
    }
}
