/// The web console: one plain HTML page with a small script (no build step). It reads
/// `/v1/console/status` once a second (or, with `?seq=N`, that one kept snapshot, so a screenshot
/// can be checked against the same JSON) and draws every figure with `data-k` naming its JSON
/// path, plus an SVG chart of input->frame latency. All text goes through `textContent`.
enum ConsolePage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>KartKlash Edge console</title>
<style>
body { font: 14px/1.35 system-ui, sans-serif; margin: 16px; background: #10141a; color: #e6e6e6; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 14px 0 4px; color: #9fc5ff; }
table { border-collapse: collapse; margin-bottom: 4px; } td, th { padding: 2px 10px 2px 0; text-align: left; }
th { color: #9aa4b1; font-weight: normal; } .ready { color: #7ee787; } .not_ready { color: #f2cc60; } .down { color: #ff7b72; font-weight: bold; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 0 28px; }
.big { font-size: 22px; font-weight: bold; } .muted { color: #9aa4b1; } pre { background: #1b222c; padding: 6px; white-space: pre-wrap; }
svg { background: #1b222c; }
</style>
</head>
<body>
<h1 id="title">KartKlash Edge</h1>
<div class="muted">snapshot <span data-k="seq">-</span> at <span id="at">-</span> UTC &middot;
<span data-k="ready">-</span> of <span data-k="processCount">-</span> processes ready &middot;
Prometheus: <span data-k="prometheus.up">-</span>/<span data-k="prometheus.targets">-</span> targets up &middot;
alerts: <span id="alerts">none</span></div>
<div class="grid">
<div>
<h2>Players (the bots' view)</h2>
<table>
<tr><th>clients</th><td data-k="bots.clients" class="big">-</td><th>playing</th><td data-k="bots.playing" class="big">-</td><th>failed</th><td data-k="bots.failed">-</td></tr>
<tr><th>input&rarr;frame p50 ms</th><td data-k="bots.p50Millis">-</td><th>p99 ms</th><td data-k="bots.p99Millis" class="big">-</td><th>stall max ms</th><td data-k="bots.maxStallMillis">-</td></tr>
<tr><th>up B/s per client</th><td data-k="bots.upBytesPerClient">-</td><th>down B/s per client</th><td data-k="bots.downBytesPerClient">-</td><th>corrections/s</th><td data-k="bots.correctionsPerSecond">-</td></tr>
<tr><th>resumes</th><td data-k="bots.resumes" class="big">-</td><th>inputs lost</th><td data-k="bots.inputsLost">-</td><th>of checked</th><td data-k="bots.inputsChecked">-</td></tr>
</table>
<div class="muted">faults: <span id="faults">none</span></div>
<h2>Input&rarr;frame latency, last 60 s (ms: p50 blue, p99 orange)</h2>
<svg id="chart" width="460" height="140" viewBox="0 0 460 140"></svg>
</div>
<div>
<h2>Processes</h2>
<table id="processes"><tr><th>name</th><th>kind</th><th>pid</th><th>state</th><th></th></tr></table>
</div>
<div>
<h2>Relays</h2>
<table id="relays"><tr><th>relay</th><th>sessions</th><th>playing</th><th>in pps</th><th>out pps</th><th>in kB/s</th><th>out kB/s</th><th>drops</th><th>resumes</th></tr></table>
<h2>Shards and matches</h2>
<table id="shards"><tr><th>shard</th><th>matches</th><th>players</th><th>tick overruns</th><th>adopted</th></tr></table>
<table id="matches"><tr><th>match</th><th>shard</th><th>track</th><th>phase</th><th>players</th><th>tick</th></tr></table>
<div class="muted">lobby: <span data-k="lobby.players">-</span> players online, <span data-k="lobby.racesStarted">-</span> races started from rooms, <span data-k="lobby.relays">-</span> relays linked</div>
</div>
<div>
<h2>Results</h2>
<div><span data-k="results.recorded" class="big">-</span> races recorded (<span data-k="results.verified">-</span> verified), <span data-k="results.coins">-</span> coins rewarded</div>
<table id="recent"><tr><th>match</th><th>track</th><th>winner</th><th>time</th><th>racers</th><th>coins</th></tr></table>
<h2>Leaderboards</h2>
<div id="boards"></div>
</div>
</div>
<h2>Join the race yourself</h2>
<pre id="join"></pre>
<script>
"use strict";
const q = new URLSearchParams(location.search);
const fixed = q.get("seq");
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function fmt(v) { return typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(0)) : (v === undefined || v === null ? "-" : String(v)); }
function get(o, path) { return path.split(".").reduce((x, k) => (x === undefined || x === null) ? undefined : x[k], o); }
function raceTime(t) { const cs = Math.floor(t * 100 / 60); return Math.floor(cs / 6000) + ":" + String(Math.floor(cs / 100) % 60).padStart(2, "0") + "." + String(cs % 100).padStart(2, "0"); }
function rows(id, list, cells) {
  const t = document.getElementById(id);
  while (t.rows.length > 1) t.deleteRow(1);
  for (const item of list) { const tr = t.insertRow(); for (const c of cells(item)) { const td = el("td", c[0], c[1]); if (c[2]) td.dataset.k = c[2]; tr.appendChild(td); } }
}
function chart(points) {
  const svg = document.getElementById("chart"); while (svg.firstChild) svg.removeChild(svg.firstChild);
  const ns = "http://www.w3.org/2000/svg", W = 460, H = 140, pad = 24;
  const top = Math.max(1, ...points.map(p => p.p99Millis));
  const line = (key, color) => {
    const pl = document.createElementNS(ns, "polyline");
    pl.setAttribute("fill", "none"); pl.setAttribute("stroke", color); pl.setAttribute("stroke-width", "2");
    pl.setAttribute("points", points.map((p, i) => (pad + i * (W - pad - 4) / Math.max(1, points.length - 1)).toFixed(1) + "," + (H - 14 - p[key] / top * (H - 28)).toFixed(1)).join(" "));
    svg.appendChild(pl);
  };
  line("p50Millis", "#58a6ff"); line("p99Millis", "#f0883e");
  const label = document.createElementNS(ns, "text"); label.setAttribute("x", "2"); label.setAttribute("y", "14"); label.setAttribute("fill", "#9aa4b1");
  label.textContent = top.toFixed(0) + " ms"; svg.appendChild(label);
}
function render(s) {
  document.getElementById("title").textContent = s.title + " console";
  document.getElementById("at").textContent = new Date(s.atUnix * 1000).toISOString().slice(11, 19);
  const derived = { ready: s.processes.filter(p => p.state === "ready").length, processCount: s.processes.length };
  for (const e of document.querySelectorAll("span[data-k], td[data-k]")) {
    const k = e.dataset.k; if (e.closest("table#relays, table#shards, table#matches, table#processes, table#recent, #boards")) continue;
    e.textContent = fmt(k in derived ? derived[k] : get(s, k));
  }
  rows("processes", s.processes, p => [[p.name], [p.kind], [p.pid === undefined ? "" : p.pid], [p.state, p.state, "process." + p.name], [p.detail]]);
  rows("relays", s.relays, r => [[r.name], [r.sessions, "", "relay." + r.name + ".sessions"], [r.playing], [fmt(r.inPps)], [fmt(r.outPps)], [r.inKBps.toFixed(1)], [r.outKBps.toFixed(1)], [r.drops], [r.resumes]]);
  rows("shards", s.shards, f => [[f.name], [f.matches, "", "shard." + f.name + ".matches"], [f.players], [f.tickOverruns], [f.adopted]]);
  rows("matches", s.matches, m => [["#" + m.id], [m.shard], [m.track], [m.phase], [m.players], [m.tick]]);
  const res = s.results || { recent: [] };
  rows("recent", res.recent, r => { const w = r.racers.find(x => x.place === 1);
    return [["#" + r.matchId], [r.track], [w ? (w.playerId ? "#" + w.playerId : "guest") : "-"], [w ? raceTime(w.finishTick) : "-"], [r.racers.length], [r.racers.reduce((a, x) => a + (x.coins || 0), 0)]]; });
  const boards = document.getElementById("boards"); while (boards.firstChild) boards.removeChild(boards.firstChild);
  for (const b of s.boards) { const t = el("table"); const h = t.insertRow(); h.appendChild(el("th", b.track)); h.appendChild(el("th", "player")); h.appendChild(el("th", "best"));
    for (const r of b.rows) { const tr = t.insertRow(); tr.appendChild(el("td", r.rank)); tr.appendChild(el("td", "#" + r.playerId)); tr.appendChild(el("td", raceTime(r.bestTicks))); }
    boards.appendChild(t); }
  const alerts = (s.prometheus && s.prometheus.alerts) || [];
  document.getElementById("alerts").textContent = alerts.length ? alerts.map(a => a.name + " " + a.target + " " + a.state).join("; ") : "none";
  document.getElementById("alerts").className = alerts.some(a => a.state === "firing") ? "down" : "";
  document.getElementById("faults").textContent = s.bots && s.bots.faults.length ? s.bots.faults.join("; ") : "none";
  document.getElementById("join").textContent = s.join.join("\n");
  chart(s.latency || []);
  document.body.dataset.seq = String(s.seq);
}
async function tick() {
  try {
    const r = await fetch("/v1/console/status" + (fixed ? "?seq=" + encodeURIComponent(fixed) : ""), { cache: "no-store" });
    if (r.ok) render(await r.json()); else document.getElementById("at").textContent = "status " + r.status;
  } catch (e) { document.getElementById("at").textContent = "unreachable"; }
  if (!fixed) setTimeout(tick, 1000);
}
tick();
</script>
</body>
</html>
"""#
}
