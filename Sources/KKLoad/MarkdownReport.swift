import Foundation

/// Renders a ``LoadReport`` as Markdown: verdict, latency percentiles, loss, bandwidth,
/// corrections, resumes, CPU split, the per-step table (capacity knee) and a text plot of
/// per-second p50/p99 latency.
public enum MarkdownReport {
    public static func render(_ r: LoadReport) -> String {
        var r = r
        r.finalize()
        let s = r.summary!
        func ms(_ h: HistogramSummary) -> String {
            String(format: "%.1f | %.1f | %.1f | %.1f | %.1f | %d", h.p50, h.p90, h.p99, h.p999, h.max, h.count)
        }
        var o = "# kk-load report: \(r.scenario)\n\n"
        o += "**\(s.passed ? "PASSED" : "FAILED")**"
        o += s.violations.isEmpty ? "\n\n" : ": " + s.violations.joined(separator: "; ") + "\n\n"
        o += String(format: "%.0f s, %d of %d clients started, %d playing at the end, %d failed; %d worker loop(s) in %d process(es).\n\n",
                    r.seconds, r.gauges.started, r.clientsPlanned, r.gauges.playing, r.gauges.failed, r.workers, r.processes)
        o += "| measure | p50 | p90 | p99 | p99.9 | max | samples |\n|---|---|---|---|---|---|---|\n"
        o += "| input -> authoritative frame, ms | \(ms(s.latencyMillis)) |\n"
        o += "| handshake, ms | \(ms(s.handshakeMillis)) |\n"
        o += "| correction distance, mm | " + String(format: "%.0f | %.0f | %.0f | %.0f | %.0f | %d",
            s.correctionMetres.p50 * 1000, s.correctionMetres.p90 * 1000, s.correctionMetres.p99 * 1000,
            s.correctionMetres.p999 * 1000, s.correctionMetres.max * 1000, s.correctionMetres.count) + " |\n"
        o += "| frame stall (resume), ms | \(ms(s.stallMillis)) |\n\n"
        o += "| figure | value |\n|---|---|\n"
        o += String(format: "| loss down / up | %.3f%% / %.3f%% |\n", s.downLoss * 100, s.upLoss * 100)
        o += String(format: "| bytes per client-second up / down (payload) | %.0f / %.0f |\n", s.bytesUpPerClientPerSecond, s.bytesDownPerClientPerSecond)
        if r.counters.wireBytesUp > 0 {
            o += String(format: "| bytes per client-second up / down (UDP, through the impairing proxy) | %.0f / %.0f |\n",
                        s.wireBytesUpPerClientPerSecond, s.wireBytesDownPerClientPerSecond)
        }
        o += "| frames full / delta | \(r.counters.framesFull) / \(r.counters.framesDelta) (" + String(format: "%.2f%% full", s.fullFrameShare * 100) + ") |\n"
        o += String(format: "| corrections per client-second | %.3f |\n", s.correctionsPerClientSecond)
        o += String(format: "| smoothing: drawn kart's move off its prediction per frame, p99 / max | %.3f / %.3f m |\n",
                    s.visualStepMetres.p99, s.visualStepMetres.max)
        o += String(format: "| mean input lead | %.1f ticks |\n", s.meanLeadTicks)
        o += "| resumes / relay changes | \(r.counters.resumes) / \(r.counters.relayChanges) |\n"
        o += "| lost inputs (ticks stepped without the client's input) | \(s.lostInputs) of \(r.counters.inputChecks) checked |\n"
        o += "| bad packets | \(r.counters.badPackets) |\n"
        o += "| client rounds held up over 100 ms (the generator lagging) | \(r.counters.heldUpRounds) |\n"
        o += "| relay failovers: silent / draining / closed / handshake | \(r.counters.failoversSilent) / \(r.counters.failoversDraining) / \(r.counters.failoversClosed) / \(r.counters.failoversHandshake) |\n"
        o += "| impairment: dropped / duplicated / reordered | \(r.counters.impairDropped) / \(r.counters.impairDuplicated) / \(r.counters.impairReordered) |\n"
        o += "| impairment: dropped in bursts / delayed by spikes | \(r.counters.impairBurstDropped) / \(r.counters.impairSpiked) |\n"
        o += String(format: "| CPU seconds: generator / relays / shards / redis | %.1f / %.1f / %.1f / %.1f |\n\n",
                    r.cpuSeconds.generator, r.cpuSeconds.relays, r.cpuSeconds.shards, r.cpuSeconds.redis)
        if !r.faults.isEmpty {
            o += "Faults: " + r.faults.map { String(format: "t=%.1fs kill %@ pid %d", $0.atSeconds, $0.target, $0.pid) }.joined(separator: "; ") + "\n\n"
            o += "| fault | window s | resumes | relay changes | inputs lost / checked | stalls | stall p50 / p99 / longest ms | clients failed |\n|---|---|---|---|---|---|---|---|\n"
            for f in s.faultImpacts {
                o += String(format: "| t=%.1fs %@ | %d | %d | %d | %d / %d (%.2f%%) | %d | %.0f / %.0f / %.0f | %d |\n", f.atSeconds, f.target, f.windowSeconds,
                            f.resumes, f.relayChanges, f.inputsLost, f.inputsChecked,
                            f.inputsChecked > 0 ? Double(f.inputsLost) / Double(f.inputsChecked) * 100 : 0,
                            f.stalls, f.stallP50Millis, f.stallP99Millis, f.maxStallMillis, f.clientsFailed)
            }
            o += "\n"
        }
        if let k = s.knee {
            o += "**Knee: \(k.clients) clients** " + String(format: "(p99 %.1f ms, loss %.2f%%)", k.p99Millis, k.loss * 100)
            o += k.brokeAtClients.map { "; broke at \($0) clients: \(k.brokeBecause ?? "")" } ?? "; budget never broke (lower bound)"
            o += "\n\n"
        }
        if r.steps.count > 1 || r.capacity != nil {
            o += "| step | clients | playing | p50 ms | p99 ms | loss | failed | cpu gen/relay/shard % |\n|---|---|---|---|---|---|---|---|\n"
            for st in r.steps where st.measuredSeconds > 0 {
                let c = st.cpuMean
                o += String(format: "| %d | %d | %.0f | %.1f | %.1f | %.2f%% | %d | %.0f / %.0f / %.0f |\n", st.index, st.clients, st.playing,
                            st.p50Millis, st.p99Millis, st.loss * 100, st.failures, c.generator, c.relays, c.shards)
            }
            o += "\n"
        }
        o += "Latency per second (ms; `.` p50, `#` p99):\n\n```\n" + plot(r.timeline) + "```\n"
        return o
    }

    /// A text chart: one row per second, a bar to p50 and a mark at p99.
    static func plot(_ lines: [SecondLine], width: Int = 60) -> String {
        let top = max(1, lines.map(\.p99Millis).max() ?? 1)
        var o = ""
        for l in lines {
            let a = Int((l.p50Millis / top * Double(width)).rounded()), b = Int((l.p99Millis / top * Double(width)).rounded())
            var bar = [Character](repeating: " ", count: width + 1)
            for i in 0..<min(a, width + 1) { bar[i] = "." }
            if l.latencyCount > 0 { bar[min(b, width)] = "#" }
            o += String(format: "%4d %6.1f %6.1f |", l.second, l.p50Millis, l.p99Millis) + String(bar) + "\n"
        }
        return o
    }
}
