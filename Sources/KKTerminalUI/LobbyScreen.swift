import KKLobbyCore

/// The lobby screen of kk-client (80x24), as pure state: lobby messages update it, keys turn
/// into lobby commands, ``render(nowMillis:)`` draws it. Keys: `c` create a private room, `p` a
/// public one, `j` then the code and Enter to join, `o` quick join, `m` quick play (queue), `x`
/// cancel the queue, `r` ready / not ready, `1`-`9` vote for a track, `t` then a line and Enter
/// to chat, `l` leave, `Esc` or Ctrl-C quit.
public struct LobbyScreen: Sendable {
    public enum Action: Equatable, Sendable {
        case send(LobbyCommand)
        case quit
    }

    /// What a typed line is for.
    enum Typing: Equatable, Sendable { case code, chat }

    public let me: Int64
    /// Quick play's pings (region -> ms), measured before the screen opened.
    public var pings: [String: Int]
    public private(set) var room: RoomView?
    public private(set) var queue: QueueView?
    public private(set) var status = "c: new private room  p: public room  j: join by code  o: quick join  m: quick play"
    public private(set) var chat: [String] = []
    private var typing: Typing?
    private var typed = ""

    public init(me: Int64, pings: [String: Int]) { self.me = me; self.pings = pings }

    /// A message from the lobby.
    public mutating func apply(_ m: LobbyMessage) {
        switch m.type {
        case "hello": status = "connected to the lobby as player \(m.account ?? me)"
        case "room":
            room = m.room
            for e in m.events ?? [] {
                switch e.kind {
                case "chat": chat.append("\(e.account ?? 0): \(e.text ?? "")")
                case "joined": status = "player \(e.account ?? 0) joined"
                case "left": status = "player \(e.account ?? 0) left"
                case "kicked": status = "player \(e.account ?? 0) was removed"
                case "away": status = "player \(e.account ?? 0) lost connection (seat held)"
                case "back": status = "player \(e.account ?? 0) is back"
                case "hostChanged": status = "player \(e.account ?? 0) hosts now"
                case "countdownCancelled": status = "countdown stopped"
                case "start": status = "starting the race on \(e.track ?? "?")..."
                default: break
                }
            }
            if chat.count > 5 { chat.removeFirst(chat.count - 5) }
        case "left":
            room = nil
            let kicked = m.events?.contains { $0.kind == "kicked" && $0.account == me } == true
            status = kicked ? "you were removed from the room" : "you left the room"
        case "queue":
            queue = m.queue?.state == "waiting" ? m.queue : nil
            status = m.queue.map { "quick play: \($0.state)" + ($0.region.map { " (\($0))" } ?? "") } ?? status
            if let message = m.message { status += ": \(message)" }
        case "error": status = "! \(m.message ?? m.code ?? "error")"
        case "match": status = "race found: match \(m.match?.matchId ?? 0) on \(m.match?.track ?? "?")"
        default: break
        }
    }

    /// One key byte; the command to send, quit, or nil.
    public mutating func key(_ b: UInt8) -> Action? {
        if b == 3 { return .quit }
        if let t = typing {
            switch b {
            case 27: typing = nil; typed = ""; return nil
            case 13, 10:
                let line = typed
                typing = nil; typed = ""
                guard !line.isEmpty else { return nil }
                return .send(t == .code ? LobbyCommand(op: .join, code: line) : LobbyCommand(op: .chat, text: line))
            case 127, 8: if !typed.isEmpty { typed.removeLast() }; return nil
            default:
                if (32...126).contains(b), typed.count < (t == .code ? 12 : 200) { typed.append(Character(UnicodeScalar(b))) }
                return nil
            }
        }
        switch b {
        case 27: return .quit
        case UInt8(ascii: "c"): return .send(LobbyCommand(op: .create, isPublic: false))
        case UInt8(ascii: "p"): return .send(LobbyCommand(op: .create, isPublic: true))
        case UInt8(ascii: "j"): typing = .code; status = "type the room code, Enter to join (Esc: cancel)"; return nil
        case UInt8(ascii: "t"): guard room != nil else { return nil }; typing = .chat; return nil
        case UInt8(ascii: "o"): return .send(LobbyCommand(op: .quickJoin))
        case UInt8(ascii: "m"): return .send(LobbyCommand(op: .queue, pings: pings))
        case UInt8(ascii: "x"): return .send(LobbyCommand(op: .cancelQueue))
        case UInt8(ascii: "l"): return .send(LobbyCommand(op: .leave))
        case UInt8(ascii: "r"):
            guard let room else { return nil }
            let ready = room.members.first { $0.account == me }?.ready ?? false
            return .send(LobbyCommand(op: .ready, ready: !ready))
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            guard let room else { return nil }
            let i = Int(b - UInt8(ascii: "1"))
            guard i < room.tracks.count else { return nil }
            return .send(LobbyCommand(op: .vote, track: room.tracks[i]))
        default: return nil
        }
    }

    /// The screen: 24 lines of at most 80 columns.
    public func render(nowMillis: Int64) -> [String] {
        var lines: [String] = ["KartKlash lobby" + String(repeating: " ", count: 45) + "player \(me)", String(repeating: "-", count: 80)]
        if let r = room {
            var head = r.code.map { "Private room  code \($0)" } ?? "Public room"
            head += "   host \(r.host)   \(r.members.count)/\(r.seats) seats"
            lines.append(head)
            switch r.phase {
            case "countdown":
                let left = max(0, ((r.startsAtMillis ?? nowMillis) - nowMillis + 999) / 1000)
                lines.append("Everyone is ready: the race starts in \(left) s")
            case "starting": lines.append("Starting the race...")
            default: lines.append("Waiting: everyone ready (r) starts a countdown")
            }
            lines.append("")
            for (i, m) in r.members.enumerated() {
                var l = " \(i + 1). player \(m.account)"
                if m.account == r.host { l += " (host)" }
                if m.account == me { l += " (you)" }
                if l.count < 36 { l += String(repeating: " ", count: 36 - l.count) }
                l += m.ready ? "READY    " : "not ready"
                if let v = m.vote { l += "  votes \(v)" }
                if m.awayUntilMillis != nil { l += "  (away)" }
                lines.append(l)
            }
            lines.append("")
            lines.append("Tracks: " + r.tracks.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: "  "))
            lines.append("")
            lines += chat.map { "  " + $0 }
        } else if let q = queue {
            lines.append("Quick play: waiting for a race in \(q.region ?? "?") with \(q.players.count) player(s)   (x: cancel)")
        } else {
            lines.append("Not in a room.")
        }
        while lines.count < 21 { lines.append("") }
        if let t = typing { lines.append((t == .code ? "Code: " : "Say: ") + typed + "_") } else { lines.append("") }
        lines.append(status)
        lines.append(room == nil ? "c private  p public  j join  o quick join  m quick play  Esc quit"
                     : "r ready  1-9 vote  t chat  l leave  Esc quit")
        return lines.prefix(24).map { String($0.prefix(80)) }
    }
}
