import KKRedis

/// The shard's Redis scripts (see docs/REDIS-KEYS.md). Each is atomic on the server.
final class ShardRedisScripts {
    /// KEYS: shard hash, shards set. ARGV: instance, ttl ms, shard id, then field/value pairs.
    /// Refuses (returns 0) when the hash exists with another instance: a second shard with the same id.
    let register = RedisScript("""
    local inst = redis.call('HGET', KEYS[1], 'instance')
    if inst and inst ~= ARGV[1] then return 0 end
    redis.call('HSET', KEYS[1], 'instance', ARGV[1])
    for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('SADD', KEYS[2], ARGV[3])
    return 1
    """)

    /// KEYS: shard hash, shards set, liveness set. ARGV: instance, shard id.
    /// Removes the registration unless another process holds it (0): a second process with the
    /// same id, refused at its registration, never deletes the first one's entry. A hash that
    /// expired already (heartbeats missed) still has its set and liveness entries removed (1).
    let deregister = RedisScript("""
    local inst = redis.call('HGET', KEYS[1], 'instance')
    if inst and inst ~= ARGV[1] then return 0 end
    redis.call('DEL', KEYS[1])
    redis.call('SREM', KEYS[2], ARGV[2])
    redis.call('ZREM', KEYS[3], ARGV[2])
    return 1
    """)

    /// KEYS: owner key. ARGV: shard id, ttl ms.
    /// Renews the lease if still ours (1); 0 if another shard holds it (adopted while we were
    /// cut off); 2 when there is no owner at all (the lease ran out and nobody adopted, or Redis
    /// lost its data): the shard then reads the match's state in the directory and, unless it is
    /// over, takes the lease back with ``claim`` and writes the directory again (``reclaim``).
    let renew = RedisScript("""
    local o = redis.call('GET', KEYS[1])
    if o == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
    if o then return 0 end
    return 2
    """)

    /// See ``MatchLeaseScripts/claim``.
    let claim = RedisScript(MatchLeaseScripts.claim)

    /// KEYS: match hash, active set. ARGV: shard id, match id. The directory's side of a lease
    /// claimed back: the hash names this shard, the match is running and watched for adoption
    /// (0 when it is over meanwhile).
    let reclaim = RedisScript("""
    if redis.call('HGET', KEYS[1], 'state') == 'over' then return 0 end
    redis.call('HSET', KEYS[1], 'shard', ARGV[1])
    redis.call('HSETNX', KEYS[1], 'state', 'running')
    redis.call('SADD', KEYS[2], ARGV[2])
    return 1
    """)

    /// KEYS: owner key, snapshot key, input log key. ARGV: shard id, snapshot bytes, snapshot
    /// ttl ms, the log's stored length, the log text to add. Writes the snapshot only while we own
    /// the match (fencing), and with it the input log up to the snapshot's tick: stored length
    /// -1 deletes it (the match has none: an older owner's log must not meet this snapshot), 0 writes it whole, n appends when the key
    /// holds exactly n bytes (else it is deleted: the next snapshot writes it whole). Returns
    /// {0} when not ours, else {1, the log's length now (-1: deleted)}.
    let snapshot = RedisScript("""
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
    redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
    local have = tonumber(ARGV[4])
    if have < 0 then redis.call('DEL', KEYS[3]) return {1, -1} end
    if have == 0 then
      redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[3])
    elseif redis.call('STRLEN', KEYS[3]) == have then
      redis.call('APPEND', KEYS[3], ARGV[5])
      redis.call('PEXPIRE', KEYS[3], ARGV[3])
    else
      redis.call('DEL', KEYS[3])
      return {1, -1}
    end
    return {1, redis.call('STRLEN', KEYS[3])}
    """)

    /// KEYS: owner key, epoch key, snapshot key, input log key. ARGV: shard id, ttl ms, the
    /// shard presumed dead ('' none). Takes a match whose lease expired, or is still held by the
    /// shard presumed dead (``beatAndReap``): returns {epoch, snapshot or false, log or false}, or 0 if
    /// owned by anyone else. (The caller read the match's hash in the directory first: it exists
    /// and is not over; then it writes the hash's `shard`.) The new epoch fences the old owner:
    /// should it be alive after all, its renew and snapshot writes fail and it stops the match.
    let adopt = RedisScript("""
    local o = redis.call('GET', KEYS[1])
    if (not o) or (ARGV[3] ~= '' and o == ARGV[3]) then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      local e = redis.call('INCR', KEYS[2])
      local snap = redis.call('GET', KEYS[3])
      local log = redis.call('GET', KEYS[4])
      return {e, snap, log}
    end
    return 0
    """)

    /// KEYS: match hash, active set, open set, results stream, telemetry stream (all in the
    /// directory). ARGV: match id, shard id, the result's JSON ('' none), the telemetry's JSON ('' none).
    /// The match is over and its result and figures are in their streams in one step (a shard
    /// killed before it leaves the match to be adopted and ended again; a repeated call adds no
    /// second entry). The owner lease goes afterwards (``release``).
    let over = RedisScript("""
    if redis.call('HGET', KEYS[1], 'state') ~= 'over' then
      if ARGV[3] ~= '' then
        redis.call('XADD', KEYS[4], 'MAXLEN', '~', '100000', '*', 'match', ARGV[1], 'shard', ARGV[2], 'result', ARGV[3])
      end
      if ARGV[4] ~= '' then
        redis.call('XADD', KEYS[5], 'MAXLEN', '~', '100000', '*', 'match', ARGV[1], 'shard', ARGV[2], 'telemetry', ARGV[4])
      end
    end
    redis.call('HSET', KEYS[1], 'state', 'over')
    redis.call('SREM', KEYS[2], ARGV[1])
    redis.call('SREM', KEYS[3], ARGV[1])
    return 1
    """)

    /// KEYS: liveness set. ARGV: shard id, silence ms, 1 to look for the dead (0 while draining).
    /// The shard's beat, scored by Redis's own clock (ms: shards' clocks never meet), and the
    /// shards whose last beat is that silence old, removed from the set as they are returned:
    /// exactly one caller learns of each death and adopts its matches (this shard is never
    /// reported to itself). Reports nobody when the caller's own beat is that old or missing (it
    /// just started, or its own loop stalled: it cannot tell others' silence from its own), and
    /// when even the freshest beat is that old the silence was everyone's (Redis stalled or
    /// failed over): the silent members are stamped now, so a shard really dead is reported one
    /// silence later.
    let beatAndReap = RedisScript("""
    local t = redis.call('TIME')
    local now = t[1] * 1000 + math.floor(t[2] / 1000)
    local since = now - tonumber(ARGV[2])
    local freshest = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local own = redis.call('ZSCORE', KEYS[1], ARGV[1])
    local silent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', since)
    local out = {}
    if freshest[2] and tonumber(freshest[2]) <= since then
      for _, id in ipairs(silent) do
        redis.call('ZADD', KEYS[1], now, id)
      end
    elseif own and tonumber(own) > since and ARGV[3] == '1' then
      for _, id in ipairs(silent) do
        if id ~= ARGV[1] then
          redis.call('ZREM', KEYS[1], id)
          out[#out + 1] = id
        end
      end
    end
    redis.call('ZADD', KEYS[1], now, ARGV[1])
    return out
    """)

    /// KEYS: owner key. ARGV: shard id. Gives the lease up if it is ours (adoption failed, the
    /// match is over).
    let release = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
    return 0
    """)
}
