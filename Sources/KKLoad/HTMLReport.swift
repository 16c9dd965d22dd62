import Foundation

/// Renders a ``LoadReport`` as one self-contained HTML page: an SVG plot of per-second p50 and
/// p99 input -> frame latency with clients playing on a second axis and the injected faults as
/// vertical marks, followed by the Markdown report's tables as text. No scripts, no external
/// files: it opens from disk in any browser.
public enum HTMLReport {
    public static func render(_ report: LoadReport) -> String {
        var r = report
        r.finalize()
        let s = r.summary!
        var o = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>kk-load: \(escape(r.scenario))</title>\n"
        o += "<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em;overflow:auto}"
        o += ".pass{color:#1a7f37}.fail{color:#cf222e}</style></head><body>\n"
        o += "<h1>kk-load report: \(escape(r.scenario)) <span class=\"\(s.passed ? "pass" : "fail")\">\(s.passed ? "PASSED" : "FAILED")</span></h1>\n"
        o += String(format: "<p>Latency p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms; loss down %.3f%%, up %.3f%%; %d errors; %d resumes.</p>\n",
                    s.latencyMillis.p50, s.latencyMillis.p99, s.latencyMillis.p999, s.downLoss * 100, s.upLoss * 100, s.errors, s.resumes)
        o += plot(r.timeline, faults: r.faults)
        o += "<pre>\(escape(MarkdownReport.render(r)))</pre>\n</body></html>\n"
        return o
    }

    /// The SVG chart (also used on its own by tests).
    public static func plot(_ lines: [SecondLine], faults: [LoadReport.FaultRecord], width: Double = 900, height: Double = 320) -> String {
        let left = 60.0, right = 60.0, top = 20.0, bottom = 40.0
        let w = width - left - right, h = height - top - bottom
        let maxSecond = Double(max(1, lines.map(\.second).max() ?? 1))
        let maxMs = niceCeiling(max(1, lines.map(\.p99Millis).max() ?? 1))
        let maxClients = niceCeiling(Double(max(1, lines.map(\.playing).max() ?? 1)))
        func x(_ t: Double) -> Double { left + t / maxSecond * w }
        func yMs(_ v: Double) -> Double { top + h - min(v, maxMs) / maxMs * h }
        func yClients(_ v: Double) -> Double { top + h - v / maxClients * h }
        func points(_ value: (SecondLine) -> Double, _ y: (Double) -> Double) -> String {
            lines.map { String(format: "%.1f,%.1f", x(Double($0.second)), y(value($0))) }.joined(separator: " ")
        }
        var o = String(format: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-size=\"11\">\n", width, height)
        o += String(format: "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n", left, top, w, h)
        for i in 0...4 {
            let v = maxMs * Double(i) / 4
            o += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f ms</text>\n", left - 4, yMs(v) + 4, v)
            o += String(format: "<text x=\"%.0f\" y=\"%.1f\">%.0f</text>\n", left + w + 4, yClients(maxClients * Double(i) / 4) + 4, maxClients * Double(i) / 4)
        }
        o += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">seconds (0-%.0f)</text>\n", left + w / 2, height - 10, maxSecond)
        for f in faults {
            o += String(format: "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/>", x(f.atSeconds), top, x(f.atSeconds), top + h)
            o += String(format: "<text x=\"%.1f\" y=\"%.0f\" fill=\"#cf222e\">%@</text>\n", x(f.atSeconds) + 3, top + 12, escape(f.target))
        }
        o += "<polyline class=\"playing\" fill=\"none\" stroke=\"#999\" stroke-width=\"1\" points=\"\(points({ Double($0.playing) }, yClients))\"/>\n"
        o += "<polyline class=\"p99\" fill=\"none\" stroke=\"#cf222e\" stroke-width=\"1.5\" points=\"\(points(\.p99Millis, yMs))\"/>\n"
        o += "<polyline class=\"p50\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\"\(points(\.p50Millis, yMs))\"/>\n"
        o += String(format: "<text x=\"%.0f\" y=\"%.0f\" fill=\"#0969da\">p50</text><text x=\"%.0f\" y=\"%.0f\" fill=\"#cf222e\">p99</text><text x=\"%.0f\" y=\"%.0f\" fill=\"#777\">clients playing (right axis)</text>\n",
                    left + 8, top + 14, left + 40, top + 14, left + 72, top + 14)
        o += "</svg>\n"
        return o
    }

    /// 1, 2 or 5 times a power of ten, at least `v`.
    static func niceCeiling(_ v: Double) -> Double {
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
