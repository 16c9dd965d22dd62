/// The scripts on one match's runtime keys (``RedisKeyspace/match(_:_:)``: one hash slot) that
/// both the allocator and the shards run.
public enum MatchLeaseScripts {
    /// KEYS: owner, epoch. ARGV: shard id, ownership TTL ms.
    /// Takes a match that has no owner for `shard id` (the allocator right after creating it; an
    /// owner finding its lease gone while the match runs): 1 when it is `shard id`'s now (or
    /// already was), 0 when another shard holds it. The epoch starts at 1 if the match has none.
    public static let claim = """
    local o = redis.call('GET', KEYS[1])
    if o and o ~= ARGV[1] then return 0 end
    if o then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
    if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], '1') end
    return 1
    """
}
