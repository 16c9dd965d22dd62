import KKENet

/// Sends the shard core's packets over ENet: control packets reliable on channel 0, frames
/// unreliable on channel 1. Send failures are counted.
struct ENetShardOutput: ShardOutput {
    let endpoint: ENetEndpoint
    var failures = 0

    mutating func send(_ bytes: UnsafeRawBufferPointer, to relay: ENetPeerHandle, reliable: Bool) {
        do {
            try endpoint.send(bytes, to: relay, channel: reliable ? ENetEndpoint.controlChannel : ENetEndpoint.streamChannel,
                              reliable: reliable)
        } catch {
            failures += 1
        }
    }
}
