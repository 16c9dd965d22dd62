import ArgumentParser
import Foundation
import KKFuzz

/// `kk-fuzz`: the decoders' fuzz targets. `run` needs the libFuzzer build
/// (Ops/scripts/fuzz.sh); `list`, `seed` and `replay` work in any build.
@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-fuzz",
        abstract: "Fuzz targets for every decoder of network, Redis and disk bytes.",
        subcommands: [List.self, Seed.self, Replay.self, Run.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Names and summaries of the targets.")
        func run() {
            for t in FuzzTargets.all { print("\(t.name)\t\(t.summary)") }
        }
    }

    struct Seed: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Writes each target's seed corpus into OUT/<target>/.")
        @Option(help: "Repository root (seed files are read from it).") var repo = "."
        @Argument(help: "Corpus root, e.g. Tests/Fuzz/corpus.") var out: String

        func run() throws {
            let fm = FileManager.default
            for t in FuzzTargets.all {
                let dir = "\(out)/\(t.name)"
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
                var seeds = t.seeds()
                for f in t.seedFiles {
                    guard let d = fm.contents(atPath: "\(repo)/\(f)") else { throw ValidationError("seed file \(repo)/\(f) missing") }
                    seeds.append(Array(d))
                }
                for s in seeds {
                    let path = "\(dir)/seed-\(CorpusFile.name(of: s))"
                    if !fm.fileExists(atPath: path) { try Data(s).write(to: URL(fileURLWithPath: path)) }
                }
                print("\(t.name): \(seeds.count) seeds")
            }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Feeds files (or every file of directories) to a target.")
        @Argument(help: "Target name (kk-fuzz list).") var target: String
        @Argument(help: "Files or directories.") var paths: [String]

        func run() throws {
            guard let t = FuzzTargets.named(target) else { throw ValidationError("no target \(target) (kk-fuzz list)") }
            var accepted = 0, rejected = 0
            for file in try CorpusFile.expand(paths) {
                guard let d = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                do {
                    switch try t.run(Array(d)) {
                    case .accepted: accepted += 1
                    case .rejected: rejected += 1
                    }
                } catch {
                    print("\(file): \(error)")
                    throw ExitCode(1)
                }
            }
            print("\(t.name): \(accepted + rejected) inputs, \(accepted) accepted, \(rejected) rejected, no violation")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Runs a target under libFuzzer (libFuzzer's flags and corpus directories follow the name).")
        @Argument(help: "Target name (kk-fuzz list).") var target: String
        @Argument(parsing: .captureForPassthrough, help: "libFuzzer arguments.") var libFuzzerArguments: [String] = []

        func run() throws {
            guard let t = FuzzTargets.named(target) else { throw ValidationError("no target \(target) (kk-fuzz list)") }
            let code = LibFuzzer.run(t, arguments: [CommandLine.arguments[0]] + libFuzzerArguments)
            throw ExitCode(code)
        }
    }
}
