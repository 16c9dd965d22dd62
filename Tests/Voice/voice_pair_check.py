#!/usr/bin/env python3
"""Two voice_peer.py processes talking through a TURN server, with this script as the signalling.

    voice_pair_check.py --turn-port PORT --secret SECRET [--timeout 15] [--keep-logs]

Starts peers A and B, gives each TURN REST credentials of its own (username "<expiry>:<user>",
password base64(HMAC-SHA1(secret, username))), has A offer to B, relays offer and answer, and
waits until each side has received more than 20 audio frames with a peak above 1000 from the
other (a 440 Hz tone, not silence). Then A closes the connection and the check requires both
frame counts to stop growing within 1.5 s (a few frames in flight allowed). Both peers must
exit 0 on quit. Prints a summary; exits 0 on success, 1 on failure.
Start the TURN server with Ops/scripts/coturn-local.sh SECRET.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PYTHON = "/var/tmp/kk-pyenv/bin/python"
MIN_FRAMES = 20
MIN_PEAK = 1000
SETTLE = 1.5          # seconds after close within which the counts must have stopped
IN_FLIGHT = 10        # frames allowed to arrive right after the close
QUIET = 0.75          # ... but none at all in the last QUIET seconds of the SETTLE window


def rest_credentials(secret, user, ttl=3600):
    username = f"{int(time.time()) + ttl}:{user}"
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return username, password


class Proc:
    """One voice_peer.py process: sends commands, collects events."""

    def __init__(self, name, python, logdir, t0):
        self.name, self.python, self.logdir, self.t0 = name, python, logdir, t0
        self.events = []            # (t, event)
        self.counts, self.peaks = {}, {}
        self.history = []           # (t, counts) from every frames event
        self.changed = asyncio.Event()
        self.first_frame = None

    async def start(self):
        self.stderr_path = os.path.join(self.logdir, f"{self.name}.stderr")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            self.python, os.path.join(HERE, "voice_peer.py"), "--name", self.name,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self.stderr,
        )
        self.reader = asyncio.ensure_future(self.read())

    def now(self):
        return time.monotonic() - self.t0

    async def read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            try:
                ev = json.loads(line)
            except ValueError:
                self.events.append((self.now(), {"event": "NOT-JSON", "text": line.decode(errors="replace")}))
                self.changed.set()
                continue
            t = self.now()
            self.events.append((t, ev))
            if ev.get("event") == "frames":
                self.counts, self.peaks = ev["counts"], ev["peaks"]
                self.history.append((t, dict(self.counts)))
                if self.first_frame is None and any(self.counts.values()):
                    self.first_frame = t
            elif ev.get("event") != "frames":
                print(f"  {t:6.2f}s {self.name}: {short(ev)}", flush=True)
            self.changed.set()

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())

    async def wait_for(self, pred, timeout):
        """Waits until pred(self) is true; returns its value or None on timeout."""
        end = time.monotonic() + timeout
        while True:
            v = pred(self)
            if v:
                return v
            left = end - time.monotonic()
            if left <= 0 or self.reader.done():
                return None
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def find(self, kind, peer=None):
        for _, ev in self.events:
            if ev.get("event") == kind and (peer is None or ev.get("peer") == peer):
                return ev
        return None

    def errors(self):
        return [ev for _, ev in self.events if ev.get("event") in ("error", "NOT-JSON")]

    async def stop(self):
        if self.proc.returncode is None:
            try:
                self.send({"cmd": "quit"})
                await self.proc.stdin.drain()
                self.proc.stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                await asyncio.wait_for(self.proc.wait(), 8)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        try:
            await asyncio.wait_for(self.reader, 2)
        except asyncio.TimeoutError:
            pass
        self.stderr.close()
        return self.proc.returncode


def short(ev):
    ev = dict(ev)
    if "sdp" in ev:
        cands = [l for l in ev["sdp"].splitlines() if l.startswith("a=candidate:")]
        ev["sdp"] = f"<{len(ev['sdp'])} bytes, {len(cands)} candidates: " + "; ".join(" ".join(c.split()[4:8]) for c in cands) + ">"
    return json.dumps(ev)


def relay_only(sdp):
    cands = [l for l in sdp.splitlines() if l.startswith("a=candidate:")]
    return bool(cands) and all(" typ relay" in c for c in cands)


async def check(args):
    t0 = time.monotonic()
    logdir = tempfile.mkdtemp(prefix="kk-voicecheck.")
    a, b = Proc("A", args.python, logdir, t0), Proc("B", args.python, logdir, t0)
    # Peer ids as a signalling service would hand them out; one numeric, one string, to check
    # that they are echoed back as given.
    a_sees_b, b_sees_a = 2, "1"
    failures = []
    timings = {}
    try:
        await asyncio.gather(a.start(), b.start())
        for p in (a, b):
            if not await p.wait_for(lambda p: p.find("ready"), 10):
                raise RuntimeError(f"{p.name} did not become ready")
        timings["ready"] = max(a.now(), 0)
        url = f"turn:127.0.0.1:{args.turn_port}?transport={args.transport}"
        for p, user in ((a, "alice"), (b, "bob")):
            u, c = rest_credentials(args.secret, user)
            p.send({"cmd": "turn", "urls": [url], "username": u, "credential": c})
        t_connect = a.now()
        b.send({"cmd": "connect", "peer": b_sees_a, "initiator": False})
        a.send({"cmd": "connect", "peer": a_sees_b, "initiator": True})

        offer = await a.wait_for(lambda p: p.find("offer", a_sees_b) or p.errors(), 10)
        if not offer or not isinstance(offer, dict):
            raise RuntimeError(f"A produced no offer: {offer}")
        timings["offer"] = a.now() - t_connect
        if not relay_only(offer["sdp"]):
            raise RuntimeError("offer has no candidates or non-relay candidates (wrong TURN secret? coturn log shows 401)")
        b.send({"cmd": "offer", "peer": b_sees_a, "sdp": offer["sdp"]})

        answer = await b.wait_for(lambda p: p.find("answer", b_sees_a) or p.errors(), 10)
        if not answer or not isinstance(answer, dict):
            raise RuntimeError(f"B produced no answer: {answer}")
        timings["answer"] = b.now() - t_connect
        if not relay_only(answer["sdp"]):
            raise RuntimeError("answer has no candidates or non-relay candidates (wrong TURN secret? coturn log shows 401)")
        a.send({"cmd": "answer", "peer": a_sees_b, "sdp": answer["sdp"]})

        def flowing(key):
            return lambda p: p.counts.get(key, 0) > MIN_FRAMES and p.peaks.get(key, 0) > MIN_PEAK
        left = args.timeout - (a.now() - t_connect)
        ok_a, ok_b = await asyncio.gather(a.wait_for(flowing(str(a_sees_b)), left), b.wait_for(flowing(b_sees_a), left))
        timings["flowing"] = a.now() - t_connect
        for p in (a, b):
            if p.first_frame is not None:
                timings[f"first_frame_{p.name}"] = p.first_frame - t_connect
        if not (ok_a and ok_b):
            raise RuntimeError(f"audio did not flow within {args.timeout} s: A counts={a.counts} peaks={a.peaks}, B counts={b.counts} peaks={b.peaks}")
        flow_counts = (a.counts.get(str(a_sees_b)), a.peaks.get(str(a_sees_b)), b.counts.get(b_sees_a), b.peaks.get(b_sees_a))

        # Let it run a moment so the counts are well above the threshold, then close on A.
        await asyncio.sleep(args.hold)
        a.send({"cmd": "close", "peer": a_sees_b})
        closed = await a.wait_for(lambda p: p.find("closed", a_sees_b), 5)
        if not closed:
            raise RuntimeError("A did not report closed")
        t_closed = a.now()
        at_close = (a.counts.get(str(a_sees_b), 0), b.counts.get(b_sees_a, 0))
        await asyncio.sleep(SETTLE + 0.3)  # +0.3: the frames events come every 250 ms

        def count_at(p, key, t):
            c = 0
            for ht, counts in p.history:
                if ht <= t:
                    c = counts.get(key, 0)
            return c
        settle = {}
        for p, key, c0 in ((a, str(a_sees_b), at_close[0]), (b, b_sees_a, at_close[1])):
            quiet_from = count_at(p, key, t_closed + SETTLE - QUIET)
            end = count_at(p, key, t_closed + SETTLE + 0.3)
            settle[p.name] = (c0, quiet_from, end)
            if end - c0 > IN_FLIGHT:
                failures.append(f"{p.name}: {end - c0} frames arrived after the close (allowed {IN_FLIGHT})")
            if end != quiet_from:
                failures.append(f"{p.name}: frame count still growing {QUIET} s after the close ({quiet_from} -> {end})")
        for p in (a, b):
            errs = p.errors()
            if errs:
                failures.append(f"{p.name} reported errors: {errs}")
    except RuntimeError as exc:
        failures.append(str(exc))
    finally:
        rcs = await asyncio.gather(a.stop(), b.stop())
    for p, rc in zip((a, b), rcs):
        if rc != 0:
            failures.append(f"{p.name} exited with {rc}")

    print("summary:")
    for k, v in timings.items():
        print(f"  {k:16s} {v:6.2f} s after connect" if k != "ready" else f"  {k:16s} {v:6.2f} s after start")
    if "flow_counts" in locals():
        print(f"  at flowing: A got {flow_counts[0]} frames (peak {flow_counts[1]}), B got {flow_counts[2]} frames (peak {flow_counts[3]})")
    if "settle" in locals():
        for name, (c0, q, e) in settle.items():
            print(f"  {name} after close: {c0} at close, {q} at +{SETTLE - QUIET:.2f} s, {e} at +{SETTLE + 0.3:.2f} s")
    print(f"  A final: counts={a.counts} peaks={a.peaks}")
    print(f"  B final: counts={b.counts} peaks={b.peaks}")
    print(f"  total {time.monotonic() - t0:.2f} s")
    if failures:
        print("FAIL:")
        for f in failures:
            print(f"  - {f}")
        print(f"  peer logs: {logdir}")
        return 1
    if args.keep_logs:
        print(f"  peer logs: {logdir}")
    else:
        shutil.rmtree(logdir, ignore_errors=True)
    print("PASS")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turn-port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds from connect until audio must flow both ways")
    ap.add_argument("--hold", type=float, default=0.5, help="seconds to keep the call up once audio flows")
    ap.add_argument("--python", default=DEFAULT_PYTHON if os.path.exists(DEFAULT_PYTHON) else sys.executable)
    ap.add_argument("--keep-logs", action="store_true")
    args = ap.parse_args()
    sys.exit(asyncio.run(check(args)))


if __name__ == "__main__":
    main()
