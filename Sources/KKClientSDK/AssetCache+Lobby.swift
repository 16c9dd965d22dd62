import KKLobbyCore

extension AssetCache {
    /// The bundle id of a track.
    public static func trackBundleId(_ track: String) -> String { "track/\(track)" }

    /// Feeds a lobby message: while a room counts down, the track it would race (its vote
    /// leader) is prefetched, so the race starts with the track verified on disk; a race's
    /// `match` message prefetches the exact version it is pinned to. Returns the bundle id asked
    /// for, if any.
    @discardableResult
    public func observe(_ message: LobbyMessage) -> String? {
        // The race itself: the exact version it is pinned to.
        if let sha = message.match?.trackSha256, let b = manifest?.bundles.first(where: { $0.sha256 == sha }) {
            prefetch(id: b.id)
            return b.id
        }
        guard let room = message.room, room.phase == "countdown" || room.phase == "starting", !room.tracks.isEmpty else { return nil }
        let id = Self.trackBundleId(room.leadingTrack)
        guard manifest?.bundle(id) != nil else { return nil }
        prefetch(id: id)
        return id
    }
}
