import Glibc
import KKLoop

/// Plain UDP passthrough, for benchmarking the relay's raw path against ../shared/udpbench's
/// C relay (`udpfwd -M`) and nginx. Same shape as udpfwd's mux mode: all clients share one
/// upstream socket and an 8-byte session header {index u32, generation u32} is prepended
/// towards the backend and stripped on the way back. recvmmsg/sendmmsg batches, buffers and the
/// session table allocated up front: no allocation per datagram. Not a production mode.
final class PassthroughRelay {
    public struct Counters: Sendable {
        public var clientIn = 0, upstreamOut = 0, upstreamIn = 0, clientOut = 0
        public var droppedNoSession = 0, droppedStale = 0, droppedTooBig = 0, droppedSendQueue = 0
    }

    private let loop: EventLoop
    private let client: BatchedUDPSocket
    private let upstream: BatchedUDPSocket
    private let upstreamAddress: PeerAddress
    private var clientPoll: LoopPoll?
    private var upstreamPoll: LoopPoll?
    private var index: [PeerAddress: UInt32] = [:]
    private var peers: [PeerAddress]
    private var generations: [UInt32]
    private let maxSessions: Int
    public private(set) var counters = Counters()

    public init(loop: EventLoop, listen: PeerAddress, upstream target: PeerAddress, reusePort: Bool,
                maxSessions: Int = 262_144, batch: Int = 64) throws(IOError) {
        self.loop = loop
        client = try BatchedUDPSocket(bind: listen, reusePort: reusePort, batch: batch)
        let any = PeerAddress(host: target.family == AF_INET6 ? "::1" : "127.0.0.1", port: 0)!
        upstream = try BatchedUDPSocket(bind: any, batch: batch)
        upstreamAddress = target
        self.maxSessions = maxSessions
        peers = []
        peers.reserveCapacity(min(maxSessions, 65_536))
        generations = []
        generations.reserveCapacity(min(maxSessions, 65_536))
        index.reserveCapacity(min(maxSessions, 65_536))
    }

    public var listenPort: UInt16 { client.localAddress.port }

    public func start() throws(IOError) {
        let cp = try LoopPoll(loop: loop, fd: client.fd)
        let up = try LoopPoll(loop: loop, fd: upstream.fd)
        clientPoll = cp
        upstreamPoll = up
        cp.start(.readable) { [unowned self] _ in self.fromClients() }
        up.start(.readable) { [unowned self] _ in self.fromUpstream() }
    }

    private func fromClients() {
        client.receive { bytes, from in
            counters.clientIn += 1
            let idx: UInt32
            if let i = index[from] {
                idx = i
            } else {
                guard peers.count < maxSessions else { counters.droppedNoSession += 1; return }
                idx = UInt32(peers.count)
                peers.append(from)
                generations.append(1)
                index[from] = idx
            }
            guard bytes.count + 8 <= upstream.slotBytes else { counters.droppedTooBig += 1; return }
            let gen = generations[Int(idx)]
            let ok = upstream.send(to: upstreamAddress) { slot in
                slot.storeBytes(of: idx.littleEndian, toByteOffset: 0, as: UInt32.self)
                slot.storeBytes(of: gen.littleEndian, toByteOffset: 4, as: UInt32.self)
                UnsafeMutableRawBufferPointer(rebasing: slot[8..<(8 + bytes.count)]).copyMemory(from: bytes)
                return bytes.count + 8
            }
            if ok { counters.upstreamOut += 1 } else { counters.droppedSendQueue += 1 }
        }
        upstream.flush()
    }

    private func fromUpstream() {
        upstream.receive { bytes, _ in
            counters.upstreamIn += 1
            guard bytes.count >= 8 else { counters.droppedStale += 1; return }
            let idx = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
            let gen = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            guard idx < peers.count, generations[idx] == gen else { counters.droppedStale += 1; return }
            let ok = client.send(UnsafeRawBufferPointer(rebasing: bytes[8...]), to: peers[idx])
            if ok { counters.clientOut += 1 } else { counters.droppedSendQueue += 1 }
        }
        client.flush()
    }

    public func stop() {
        clientPoll?.stop(); clientPoll?.close(); clientPoll = nil
        upstreamPoll?.stop(); upstreamPoll?.close(); upstreamPoll = nil
    }
}
