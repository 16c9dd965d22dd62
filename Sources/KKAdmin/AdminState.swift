import Foundation

/// What a process's admin endpoints report, written by the loop thread and read by the
/// admin HTTP server's threads (lock-protected; the loop publishes a fresh snapshot about once
/// per second and on every readiness change).
public final class AdminState: @unchecked Sendable {
    private let lock = NSLock()
    private var _ready = false
    private var _notReadyReasons: [String] = ["starting"]
    private var _status: [UInt8] = Array("{}".utf8)
    private var _drainRequested = false
    /// Reasons per component (``setReadiness(_:for:)``); "" is the process's own.
    private var _reasons: [String: [String]] = [:]

    public init() {}

    /// Sets readiness with the reasons it is not ready (empty when ready).
    public func setReadiness(_ reasons: [String]) { setReadiness(reasons, for: "") }

    /// Sets one component's reasons (a process hosting several, each with its own dependency):
    /// ready when no component has any. One component coming up does not hide another's reason.
    public func setReadiness(_ reasons: [String], for component: String) {
        lock.lock(); defer { lock.unlock() }
        _reasons[component] = reasons
        _notReadyReasons = _reasons.keys.sorted().flatMap { _reasons[$0]! }
        _ready = _notReadyReasons.isEmpty
    }

    public var ready: (Bool, [String]) {
        lock.lock(); defer { lock.unlock() }
        return (_ready, _notReadyReasons)
    }

    private var _notes: [String] = []

    /// Degradations that do not make the process unready (it still serves), listed on /readyz
    /// after "ready" (e.g. a relay whose lobby control plane is down).
    public func setNotes(_ notes: [String]) {
        lock.lock(); defer { lock.unlock() }
        _notes = notes
    }

    public var notes: [String] {
        lock.lock(); defer { lock.unlock() }
        return _notes
    }

    /// Publishes the /status JSON document.
    public func setStatus<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return }
        lock.lock(); defer { lock.unlock() }
        _status = Array(data)
    }

    public var status: [UInt8] {
        lock.lock(); defer { lock.unlock() }
        return _status
    }

    /// Set by POST /drain; the loop polls it (or is woken by ``onDrain``).
    public var drainRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return _drainRequested
    }

    /// Called (on an admin thread) when a drain is requested; wire it to a LoopAsync.send().
    public var onDrain: (@Sendable () -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return _onDrain }
        set { lock.lock(); defer { lock.unlock() }; _onDrain = newValue }
    }
    private var _onDrain: (@Sendable () -> Void)?

    func requestDrain() {
        lock.lock()
        _drainRequested = true
        let cb = _onDrain
        lock.unlock()
        cb?()
    }
}
