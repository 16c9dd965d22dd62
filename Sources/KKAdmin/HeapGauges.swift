import CHeapStats
import CoreMetrics

/// The allocator's figures for the heap: bytes in use (the heap's logical size, which RSS
/// follows only loosely) and bytes held from the system (in use plus the free memory the
/// allocator keeps; a sanitizer's allocator keeps far more). glibc's, or the sanitizer
/// allocator's own in a sanitizer build.
public struct HeapFigures: Sendable, Equatable {
    public var inUse: Int
    public var mapped: Int

    /// The figures now (one walk of glibc's arenas).
    public static var now: HeapFigures {
        let s = crelay_heap_stats()
        return HeapFigures(inUse: Int(s.in_use), mapped: Int(s.mapped))
    }
}

/// `kk_process_heap_bytes` and `kk_process_heap_mapped_bytes`, as every process publishes
/// them (the soak tells a leak from allocator caching with them).
public final class HeapGauges: Sendable {
    private let inUse, mapped: CoreMetrics.Gauge

    public init(factory: any MetricsFactory) {
        inUse = CoreMetrics.Gauge(label: "kk_process_heap_bytes", factory: factory)
        mapped = CoreMetrics.Gauge(label: "kk_process_heap_mapped_bytes", factory: factory)
    }

    /// Records the figures now.
    public func record() {
        let f = HeapFigures.now
        inUse.record(f.inUse)
        mapped.record(f.mapped)
    }
}
