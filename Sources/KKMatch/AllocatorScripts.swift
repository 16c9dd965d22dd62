/// The Lua scripts of the allocator. Each runs atomically in Redis, so concurrent requests (from
/// any number of connections or match-service processes) never overfill a match or a shard.
///
/// They touch directory keys only (``KKRedis/RedisKeyspace``): keys are built inside the scripts
/// from the directory's prefix (ARGV[1]; one hash tag on a Redis Cluster, so every key they build
/// is in the slot of their KEYS). A new match's owner lease and epoch are its runtime keys,
/// written by a second script (``AllocatorRequest/claim(matchId:shardId:config:)``).
public enum AllocatorScripts {
    /// KEYS: 1 player->match, 2 matches:open, 3 shards, 4 match:seq, 5 matches:active, 6 events.
    /// ARGV: 1 prefix, 2 player id, 3 slots per match, 4 track, 5 now (unix ms),
    /// 6 ownership TTL ms, 7 player-key TTL ms, 8 the request's `traceparent` ('' none: kept in
    /// a new match's hash as `trace`).
    /// Returns {'ok', mid, sid, slot, kind} or {'err', reason}.
    public static let allocate = #"""
    -- kk-match allocate v4

    """# + pickShard + #"""
    local prefix, pid = ARGV[1], ARGV[2]
    local slots, track, now = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
    local ownerTTL, playerTTL = ARGV[6], ARGV[7]

    -- 1. The player's existing match, unless over.
    local mid = redis.call('GET', KEYS[1])
    if mid then
      local mk = prefix .. 'match:' .. mid
      local h = redis.call('HMGET', mk, 'state', 'shard')
      if h[1] and h[1] ~= 'over' then
        local slot = redis.call('HGET', mk .. ':players', pid)
        if slot then
          redis.call('PEXPIRE', KEYS[1], playerTTL)
          return {'ok', mid, h[2], slot, 'existing'}
        end
      end
    end

    -- 2. A free slot in an open match (oldest first) whose shard is alive.
    local open = redis.call('SMEMBERS', KEYS[2])
    table.sort(open, function(a, b) return tonumber(a) < tonumber(b) end)
    for _, m in ipairs(open) do
      local mk = prefix .. 'match:' .. m
      local h = redis.call('HMGET', mk, 'slots', 'players', 'state', 'shard')
      local s, p = tonumber(h[1]), tonumber(h[2])
      if (not s) or (not p) or h[3] ~= 'open' or p >= s or redis.call('EXISTS', prefix .. 'shard:' .. (h[4] or '')) == 0 then
        -- gone, no longer open, full, or its shard's registration lapsed (left in matches:active for adoption)
        redis.call('SREM', KEYS[2], m)
      else
        local had = redis.call('HGET', mk .. ':players', pid)
        if had then  -- its pointer expired while the match still waits for players
          redis.call('SET', KEYS[1], m, 'PX', playerTTL)
          return {'ok', m, h[4], had, 'existing'}
        end
        local n = redis.call('HINCRBY', mk, 'players', 1)
        redis.call('HSET', mk .. ':players', pid, n - 1)
        if n >= s then redis.call('SREM', KEYS[2], m) end
        redis.call('SET', KEYS[1], m, 'PX', playerTTL)
        return {'ok', m, h[4], tostring(n - 1), 'joined'}
      end
    end

    -- 3. A new match on the least-loaded live shard.
    local best = pickShard(prefix, KEYS[3], now, ownerTTL, track)
    if not best then return {'err', 'no_shard'} end

    local m = newMatch(prefix, {seq = KEYS[4], open = KEYS[2], active = KEYS[5], events = KEYS[6]},
                       best, slots, 1, track, ARGV[5], now, ownerTTL, true)
    if ARGV[8] and ARGV[8] ~= '' then redis.call('HSET', prefix .. 'match:' .. m, 'trace', ARGV[8]) end
    redis.call('HSET', prefix .. 'match:' .. m .. ':players', pid, 0)
    redis.call('SET', KEYS[1], m, 'PX', playerTTL)
    return {'ok', m, best, '0', 'created'}
    """#

    /// The Lua function that issues match ids (`nextMatchId(seqKey, nowMillis)`), for the
    /// allocation scripts and anything else that creates matches (kk-load's local tokens). A
    /// missing sequence (a new cluster, or Redis restarted empty while matches still run on their
    /// shards) starts from the clock, unix ms x 10: an id is never issued twice across a restart
    /// unless over 10,000 matches a second were created on average since the sequence started.
    /// (14 digits: Lua's number formatting keeps them exact.)
    public static let nextMatchId = #"""
    local function nextMatchId(seqKey, now)
      if redis.call('EXISTS', seqKey) == 0 then
        redis.call('SET', seqKey, string.format('%.0f', math.floor(tonumber(now)) * 10))
      end
      return redis.call('INCR', seqKey)
    end

    """#

    /// The Lua functions both allocation scripts use: `pickShard` places a new match on the
    /// least-loaded live, non-draining shard with room that has the track's pinned version
    /// (its `tracks` field lists the hashes it hosts) (allocated-but-not-yet-hosted matches count
    /// against it for the ownership TTL; dead shard ids are pruned; nil when none has room), and
    /// `newMatch` creates it.
    public static let pickShard = #"""
    """# + nextMatchId + #"""
    local function pickShard(prefix, shardsKey, now, ownerTTL, track)
      local best, bestLoad, bestUsed
      -- A track pinned to a version (name@sha256) goes only to a shard that lists that hash
      -- (a shard that lists none predates the field: it may take it and refuse it itself).
      local want = track and string.match(track, '@(%x+)$')
      for _, sid in ipairs(redis.call('SMEMBERS', shardsKey)) do
        local sk = prefix .. 'shard:' .. sid
        if redis.call('EXISTS', sk) == 0 then
          redis.call('SREM', shardsKey, sid)
          redis.call('DEL', sk .. ':pending')
        else
          local h = redis.call('HMGET', sk, 'capacity', 'matches', 'draining', 'tracks')
          local hasTrack = (not want) or (not h[4]) or (string.find(' ' .. h[4] .. ' ', ' ' .. want .. ' ', 1, true) ~= nil)
          if h[3] ~= '1' and hasTrack then
            local cap = tonumber(h[1]) or 0
            local pk = sk .. ':pending'
            redis.call('ZREMRANGEBYSCORE', pk, '-inf', now - tonumber(ownerTTL))
            local used = (tonumber(h[2]) or 0) + redis.call('ZCARD', pk)
            if used < cap then
              local load = used / cap
              if (not best) or load < bestLoad or (load == bestLoad and (used < bestUsed or (used == bestUsed and sid < best))) then
                best, bestLoad, bestUsed = sid, load, used
              end
            end
          end
        end
      end
      return best
    end

    -- A new open match on shard `best` with `seated` of its `slots` taken (the caller writes who
    -- sits where): the open set (when `offer`ed to others and not full), the active set, the
    -- shard's pending count, and the 'alloc' event (the owner lease and first epoch are written
    -- next, on the match's own keys). k: the seq, open, active and events keys. Returns its id.
    local function newMatch(prefix, k, best, slots, seated, track, created, now, ownerTTL, offer)
      local m = nextMatchId(k.seq, now)
      local mk = prefix .. 'match:' .. m
      redis.call('HSET', mk, 'shard', best, 'slots', slots, 'players', seated, 'state', 'open', 'track', track, 'created', created)
      if offer and seated < slots then redis.call('SADD', k.open, m) end
      redis.call('SADD', k.active, m)
      redis.call('ZADD', prefix .. 'shard:' .. best .. ':pending', now, m)
      redis.call('PUBLISH', k.events, 'alloc ' .. m .. ' ' .. best)
      return tostring(m)
    end

    """#

    /// A party's seats: all `players` (ARGV 7...) in one match on one shard, atomically (an open
    /// match with room for all of them, else a new one), each with its player -> match pointer,
    /// so that each member's own allocate finds its reserved seat. Idempotent: when every member
    /// already sits in the same live match, that match. A member seated elsewhere refuses it.
    /// KEYS: 1 matches:open, 2 shards, 3 match:seq, 4 matches:active, 5 events.
    /// ARGV: 1 prefix, 2 slots per match, 3 track, 4 now (unix ms), 5 ownership TTL ms,
    /// 6 player-key TTL ms, 7 the party ticket's id (each ticket is taken once: a replayed ticket
    /// cannot seat a member who has since left the party), 8 private ('1': always a new match,
    /// never in the open set: a lobby room's), 9 the caller's `traceparent` ('' none: kept in a
    /// new match's hash as `trace`), 10... player ids.
    /// Returns {'ok', mid, sid, 'group'} ({'ok', mid, sid, 'group', 'created'} for a new match) or {'err', reason}.
    public static let allocateGroup = #"""
    -- kk-match allocate-group v4

    """# + pickShard + #"""
    local prefix = ARGV[1]
    local slots, track, now = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
    local ownerTTL, playerTTL = ARGV[5], ARGV[6]
    local private = ARGV[8] == '1'
    local players = {}
    for i = 10, #ARGV do table.insert(players, ARGV[i]) end
    local n = #players
    if n == 0 or n > slots then return {'err', 'group_size'} end
    if not redis.call('SET', prefix .. 'party-ticket:' .. ARGV[7], '1', 'NX', 'PX', 120000) then return {'err', 'ticket_used'} end

    -- 1. Members already seated in a live match.
    local seatedIn, seated = nil, 0
    for _, pid in ipairs(players) do
      local mid = redis.call('GET', prefix .. 'player:' .. pid .. ':match')
      if mid then
        local mk = prefix .. 'match:' .. mid
        local st = redis.call('HGET', mk, 'state')
        if st and st ~= 'over' and redis.call('HEXISTS', mk .. ':players', pid) == 1 then
          if seatedIn and seatedIn ~= mid then return {'err', 'member_in_match'} end
          seatedIn, seated = mid, seated + 1
        end
      end
    end
    if seatedIn then
      if seated < n then return {'err', 'member_in_match'} end
      for _, pid in ipairs(players) do redis.call('PEXPIRE', prefix .. 'player:' .. pid .. ':match', playerTTL) end
      return {'ok', seatedIn, redis.call('HGET', prefix .. 'match:' .. seatedIn, 'shard'), 'group'}
    end

    local function seat(m, first)
      local mk = prefix .. 'match:' .. m
      for i, pid in ipairs(players) do
        redis.call('HSET', mk .. ':players', pid, first + i - 1)
        redis.call('SET', prefix .. 'player:' .. pid .. ':match', m, 'PX', playerTTL)
      end
    end

    -- 2. An open match (oldest first, owner alive) with room for all of them (not for a private group).
    local open = private and {} or redis.call('SMEMBERS', KEYS[1])
    table.sort(open, function(a, b) return tonumber(a) < tonumber(b) end)
    for _, m in ipairs(open) do
      local mk = prefix .. 'match:' .. m
      local h = redis.call('HMGET', mk, 'slots', 'players', 'state', 'shard')
      local s, p = tonumber(h[1]), tonumber(h[2])
      if (not s) or (not p) or h[3] ~= 'open' or p >= s or redis.call('EXISTS', prefix .. 'shard:' .. (h[4] or '')) == 0 then
        redis.call('SREM', KEYS[1], m)
      elseif s - p >= n then
        seat(m, p)
        redis.call('HINCRBY', mk, 'players', n)
        if p + n >= s then redis.call('SREM', KEYS[1], m) end
        return {'ok', m, h[4], 'group'}
      end
    end

    -- 3. A new match on the least-loaded live shard.
    local best = pickShard(prefix, KEYS[2], now, ownerTTL, track)
    if not best then return {'err', 'no_shard'} end
    local m = newMatch(prefix, {seq = KEYS[3], open = KEYS[1], active = KEYS[4], events = KEYS[5]},
                       best, slots, n, track, ARGV[4], now, ownerTTL, not private)
    if ARGV[9] ~= '' then redis.call('HSET', prefix .. 'match:' .. m, 'trace', ARGV[9]) end
    seat(m, 0)
    return {'ok', m, best, 'group', 'created'}
    """#

    /// KEYS: 1 relays set. ARGV: 1 prefix. Returns the `addr` of every relay whose hash exists
    /// and is not draining, sorted (read-only: relays maintain their own set).
    public static let liveRelays = #"""
    -- kk-match relays v1
    local out = {}
    for _, rid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      local h = redis.call('HMGET', ARGV[1] .. 'relay:' .. rid, 'addr', 'draining')
      if h[1] and h[2] ~= '1' then table.insert(out, h[1]) end
    end
    table.sort(out)
    return out
    """#
}
