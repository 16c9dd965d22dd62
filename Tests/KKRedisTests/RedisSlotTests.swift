@testable import KKRedis
import Testing

/// Key -> slot, the key argument of commands, redirect and CLUSTER SLOTS parsing: pure.
@Suite struct RedisSlotTests {
    @Test func slotsMatchRedis() {
        #expect(RedisSlot.of("foo") == 12182)          // redis-cli cluster keyslot foo
        #expect(RedisSlot.of("123456789") == 0x31C3)    // the CRC16-XMODEM check value
        #expect(RedisSlot.of("{kk:}x") == 11091)
        #expect(RedisSlot.of("kk:match:{42}:owner") == 8000)
        #expect(RedisSlot.of("") == 0)
    }

    @Test func hashTagsFollowTheRules() {
        #expect(RedisSlot.of("{user1000}.following") == RedisSlot.of("{user1000}.followers"))
        #expect(RedisSlot.of("{user1000}.following") == RedisSlot.of("user1000"))
        #expect(RedisSlot.of("foo{}{bar}") != RedisSlot.of("bar"))         // empty first tag: the whole key
        #expect(RedisSlot.of("foo{{bar}}zap") == RedisSlot.of("{bar"))
        #expect(RedisSlot.of("foo{bar}{zap}") == RedisSlot.of("bar"))
        #expect(RedisSlot.of("no{close") != RedisSlot.of("close"))
    }

    @Test func keyArgumentOfCommands() {
        func idx(_ a: String...) -> Int? { RedisSlot.keyIndex(a.map { Array($0.utf8) }) }
        #expect(idx("GET", "k") == 1)
        #expect(idx("hset", "k", "f", "v") == 1)
        #expect(idx("EVALSHA", "abc", "2", "k1", "k2", "a") == 3)
        #expect(idx("EVAL", "return 1", "0") == nil)
        #expect(idx("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">") == 7)
        #expect(idx("PUBLISH", "ch", "m") == nil)
        #expect(idx("CLUSTER", "SLOTS") == nil)
        #expect(idx("PING") == nil)
    }

    @Test func redirectsParse() {
        #expect(RedisClusterRouter.redirect("MOVED 3999 127.0.0.1:6381")! == ("MOVED", 3999, "127.0.0.1:6381"))
        #expect(RedisClusterRouter.redirect("ASK 1 ::1:7000")! == ("ASK", 1, "::1:7000"))
        #expect(RedisClusterRouter.redirect("MOVED 16384 h:1") == nil)
        #expect(RedisClusterRouter.redirect("ERR MOVED") == nil)
        #expect(RedisClusterRouter.redirect("MOVED x h:1") == nil)
    }

    @Test func clusterNodesReplyParses() {
        let text = """
        83502d 127.0.0.1:23955@33955 slave 6bb2d4 0 1796639403000 2 connected
        6bb2d4 127.0.0.1:23951@33951 master - 0 1796639403058 2 connected 5461-10922
        1d3e97 :23950@33950 myself,master - 0 1796639403000 1 connected 0-5459 5460 [5460->-6bb2d4]
        93a0fa 127.0.0.1:23953@33953 slave,fail 367fab 0 1796639402958 3 connected
        367fab 127.0.0.1:23952@33952 master - 0 1796639403160 3 connected 10923-16383
        63b2bf 127.0.0.1:23954@33954 slave 1d3e97 0 1796639403058 1 connected

        """
        let map = RedisClusterRouter.parseNodes(.string(Array(text.utf8)), askedHost: "10.0.0.9")!
        #expect(map.count == 4)
        #expect(map.contains { $0.0 == 5461...10922 && $0.1 == ["127.0.0.1:23951", "127.0.0.1:23955"] })
        #expect(map.contains { $0.0 == 0...5459 && $0.1 == ["10.0.0.9:23950", "127.0.0.1:23954"] })
        #expect(map.contains { $0.0 == 5460...5460 })
        #expect(map.contains { $0.0 == 10923...16383 && $0.1 == ["127.0.0.1:23952"] })  // its replica failed
        #expect(RedisClusterRouter.parseNodes(.string(Array("x 1:2@3 master - 0 0 1 connected 9-2".utf8)), askedHost: "") == nil)
        // Every live node is connected to, also one the asked node still sees as a primary
        // without slots (a replica whose role has not been gossiped yet); failed ones are not.
        let young = text + "aa11 127.0.0.1:23956@33956 master - 0 0 0 connected\n"
        let topology = RedisClusterRouter.parseTopology(.string(Array(young.utf8)), askedHost: "10.0.0.9")!
        #expect(topology.nodes == ["127.0.0.1:23955", "127.0.0.1:23951", "10.0.0.9:23950", "127.0.0.1:23952", "127.0.0.1:23954",
                                   "127.0.0.1:23956"])
        #expect(RedisClusterRouter.parseNodes(.error("ERR This instance has cluster support disabled"), askedHost: "") == nil)
    }

    @Test func keyspaceKeepsOneRedisNamesAndTagsForACluster() {
        let one = RedisKeyspace(prefix: "kk:")
        #expect(one.dir("shards") == "kk:shards")
        #expect(one.match(42, "owner") == "kk:match:42:owner")
        let c = RedisKeyspace(prefix: "kk:", cluster: true)
        #expect(c.dir("shards") == "{kk:}shards")
        #expect(c.match(42, "owner") == "kk:match:{42}:owner")
        // The directory is one slot; each match's runtime keys share one slot of their own.
        let dirSlots = Set(["shards", "match:42", "match:42:players", "matches:active", "lobby:room:x", "results"].map { RedisSlot.of(c.dir($0)) })
        #expect(dirSlots.count == 1)
        #expect(Set(["owner", "epoch", "snap", "log"].map { RedisSlot.of(c.match(42, $0)) }).count == 1)
        #expect(Set((1...16).map { RedisSlot.of(c.match($0, "owner")) }).count == 16)
    }
}
