import Foundation
import KKFuzz

/// The bridge to libFuzzer's driver. Built with `-D KK_FUZZ` and libFuzzer's no-main runtime
/// (Ops/scripts/fuzz.sh), `run` hands the process to `LLVMFuzzerRunDriver`; a violation of a
/// target's properties aborts, which libFuzzer records as a crash with its reproducer.
enum LibFuzzer {
    nonisolated(unsafe) static var current: FuzzTarget?

    static func run(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        #if KK_FUZZ
        current = target
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var argc = CInt(arguments.count)
        return argv.withUnsafeMutableBufferPointer { b in
            var base = b.baseAddress!
            return LLVMFuzzerRunDriver(&argc, &base) { data, size in
                guard let target = LibFuzzer.current else { return 0 }
                do {
                    _ = try target.run(UnsafeRawBufferPointer(start: data, count: size))
                } catch {
                    FileHandle.standardError.write(Data("VIOLATION \(error)\n".utf8))
                    abort()
                }
                return 0
            }
        }
        #else
        FileHandle.standardError.write(Data("kk-fuzz run needs the libFuzzer build: Ops/scripts/fuzz.sh (this build can list, seed and replay)\n".utf8))
        return 2
        #endif
    }
}

#if KK_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif
