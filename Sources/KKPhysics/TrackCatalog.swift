/// The built-in tracks, defined as data. `Config/tracks/<name>.track` holds identical
/// copies (a test checks they match).
public enum TrackCatalog {
    /// A stadium oval: two 200 m straights joined by 60 m-radius bends, 16 m wide.
    public static let ovalSource = """
    # KartKlash track: stadium oval (metres, counter-clockwise)
    track oval
    laps 3
    width 16
    point 100 0
    point 200 0
    point 230 8.0385
    point 251.9615 30
    point 260 60
    point 251.9615 90
    point 230 111.9615
    point 200 120
    point 0 120
    point -30 111.9615
    point -51.9615 90
    point -60 60
    point -51.9615 30
    point -30 8.0385
    point 0 0
    checkpoints 0 4 8 11

    """

    /// A twisty circuit with a hairpin and a chicane, 14 m wide.
    public static let canyonSource = """
    # KartKlash track: canyon (metres, counter-clockwise)
    track canyon
    laps 3
    width 14
    point 60 0
    point 160 0
    point 200 30
    point 200 80
    point 160 110
    point 110 100
    point 80 130
    point 30 140
    point -20 120
    point -40 70
    point -20 20
    point 10 0
    checkpoints 0 3 6 9

    """

    /// A short stadium oval: two 80 m straights joined by 30 m-radius bends, 16 m wide. A lap
    /// takes about a third of the oval's: the system tests race it to prove the whole race path
    /// in seconds rather than half a minute.
    public static let sprintSource = """
    # KartKlash track: sprint oval (metres, counter-clockwise)
    track sprint
    laps 3
    width 16
    point 40 0
    point 80 0
    point 95 4.0192
    point 105.9808 15
    point 110 30
    point 105.9808 45
    point 95 55.9808
    point 80 60
    point 0 60
    point -15 55.9808
    point -25.9808 45
    point -30 30
    point -25.9808 15
    point -15 4.0192
    point 0 0
    checkpoints 0 4 8 11

    """

    /// Names of the built-in tracks.
    public static let names = ["oval", "canyon", "sprint"]

    /// Source text of a built-in track.
    public static func source(named name: String) throws(PhysicsError) -> String {
        switch name {
        case "oval": return ovalSource
        case "canyon": return canyonSource
        case "sprint": return sprintSource
        default: throw .unknownTrack(name)
        }
    }

    /// Parses a built-in track.
    public static func track(named name: String) throws(PhysicsError) -> Track {
        try TrackParser.parse(try source(named: name))
    }
}
