#!/usr/bin/env python3
"""Headless WebRTC voice peer (aiortc) driven by JSON lines on stdin, reporting JSON lines on stdout.

Run with the test venv's python (Ops/scripts/install-deps.sh: /var/tmp/kk-pyenv/bin/python):
    voice_peer.py --name NAME [--gather-timeout S] [--verbose]

Commands (one JSON object per line on stdin):
    {"cmd":"turn","urls":["turn:127.0.0.1:PORT?transport=udp"],"username":U,"credential":C}
        ICE server for every later peer connection; relay-only (iceTransportPolicy RELAY).
        Required before connect/offer: without it aiortc would fall back to a public STUN server.
    {"cmd":"connect","peer":P,"initiator":true|false}
        New peer connection to P with a 440 Hz sine audio track (48 kHz s16 mono, 20 ms frames in
        real time), receiving whatever P sends. The initiator prints an offer once ICE gathering
        is complete; the other side waits for {"cmd":"offer"}.
    {"cmd":"offer","peer":P,"sdp":S}    set the remote offer (creating the connection if needed),
                                        print the answer
    {"cmd":"answer","peer":P,"sdp":S}   set the remote answer on the initiator
    {"cmd":"close","peer":P}            close the connection to P (its frame count stops growing)
    {"cmd":"quit"}                      close everything and exit 0 (so does EOF on stdin)

Events (stdout carries nothing but these lines):
    {"event":"ready"}                                   once, at start
    {"event":"offer"|"answer","peer":P,"sdp":S}
    {"event":"state","peer":P,"ice":ICE_CONNECTION_STATE}
    {"event":"closed","peer":P}
    {"event":"frames","counts":{"P":N},"peaks":{"P":M}} every 250 ms: audio frames received per
        peer so far (cumulative, closed peers included) and the largest absolute sample seen
    {"event":"error","peer":P|null,"text":T}

P is echoed back exactly as given (string or number); the keys of counts/peaks are str(P).
Pitfall: wrong or expired TURN credentials fail silently in aiortc (no candidates, ICE stays
"new"), so a peer that gathers no candidate reports an error event next to its offer/answer.
"""
import argparse
import array
import asyncio
import fractions
import json
import logging
import math
import os
import sys
import threading

# stdout is reserved for JSON events: keep a private handle to it, then point fd 1 (and
# sys.stdout) at stderr so that nothing printed by a library can corrupt the event stream.
_events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

from av import AudioFrame  # noqa: E402
from aiortc import (  # noqa: E402
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError  # noqa: E402
from aiortc.rtcconfiguration import RTCIceTransportPolicy  # noqa: E402

log = logging.getLogger("voice_peer")

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms
TONE_HZ = 440
AMPLITUDE = 12000


def emit(obj):
    print(json.dumps(obj), file=_events, flush=True)


def _sine_frames():
    # 440 Hz * 960 / 48000 = 8.8 cycles per frame, so 5 frames hold a whole number of cycles
    # and can be replayed in a loop without a phase jump.
    n = FRAME_SAMPLES * 5
    pcm = array.array("h", (int(AMPLITUDE * math.sin(2 * math.pi * TONE_HZ * i / SAMPLE_RATE)) for i in range(n)))
    raw = pcm.tobytes()
    step = FRAME_SAMPLES * 2
    return [raw[i:i + step] for i in range(0, len(raw), step)]


SINE_FRAMES = _sine_frames()


class SineTrack(MediaStreamTrack):
    """440 Hz tone, 48 kHz s16 mono, 20 ms frames paced in real time."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self._start = None
        self._pts = 0

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += FRAME_SAMPLES
            wait = self._start + self._pts / SAMPLE_RATE - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(SINE_FRAMES[(self._pts // FRAME_SAMPLES) % len(SINE_FRAMES)])
        frame.pts = self._pts
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        return frame


def frame_peak(frame):
    """Largest absolute sample of a decoded audio frame (s16 from aiortc's Opus decoder)."""
    name = frame.format.name
    planar = frame.format.is_planar
    channels = 1 if planar else len(frame.layout.channels)
    peak = 0
    for plane in frame.planes:
        if name.startswith("s16"):
            a = array.array("h")
            scale = 1
        elif name.startswith("s32"):
            a = array.array("i")
            scale = 1 / 65536
        elif name.startswith("flt"):
            a = array.array("f")
            scale = 32767
        else:
            return 0
        a.frombytes(bytes(plane)[: frame.samples * channels * a.itemsize])
        if a:
            peak = max(peak, int(max(max(a), -min(a)) * scale))
    return peak


class Peer:
    def __init__(self, key, ident):
        self.key = key
        self.ident = ident  # as given by the controller, echoed back
        self.pc = None
        self.initiator = False
        self.tasks = set()
        self.closed = False


class VoicePeer:
    def __init__(self, name, gather_timeout):
        self.name = name
        self.gather_timeout = gather_timeout
        self.ice_servers = None
        self.peers = {}
        self.locks = {}
        self.counts = {}
        self.peaks = {}
        self.tasks = set()
        self.done = asyncio.Event()

    # --- helpers -------------------------------------------------------------------------------

    def spawn(self, coro, bucket=None):
        task = asyncio.ensure_future(coro)
        for b in (self.tasks, bucket) if bucket is not None else (self.tasks,):
            b.add(task)
            task.add_done_callback(b.discard)
        return task

    def error(self, peer, text):
        emit({"event": "error", "peer": peer, "text": text})

    def new_peer(self, ident, initiator):
        key = str(ident)
        if self.ice_servers is None:
            raise ValueError('no TURN server configured (send {"cmd":"turn",...} first)')
        old = self.peers.get(key)
        if old is not None and not old.closed:
            raise ValueError("peer connection already exists")
        p = Peer(key, ident)
        p.initiator = initiator
        self.counts.setdefault(key, 0)
        self.peaks.setdefault(key, 0)
        p.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=self.ice_servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)
        )
        p.pc.addTrack(SineTrack())

        @p.pc.on("iceconnectionstatechange")
        def _ice():
            emit({"event": "state", "peer": p.ident, "ice": p.pc.iceConnectionState})

        @p.pc.on("track")
        def _track(track):
            if track.kind == "audio":
                self.spawn(self.count_frames(p, track), p.tasks)

        self.peers[key] = p
        return p

    async def count_frames(self, p, track):
        while not p.closed:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if p.closed:
                return
            self.counts[p.key] += 1
            try:
                peak = frame_peak(frame)
            except Exception as exc:  # never let a decoding oddity stop the counting
                log.warning("peak of %s failed: %s", frame, exc)
                peak = 0
            if peak > self.peaks[p.key]:
                self.peaks[p.key] = peak

    async def set_local(self, p, description):
        try:
            await asyncio.wait_for(p.pc.setLocalDescription(description), self.gather_timeout)
        except asyncio.TimeoutError:
            raise RuntimeError(f"ICE gathering did not finish within {self.gather_timeout} s (TURN server unreachable?)")
        sdp = p.pc.localDescription.sdp
        if "a=candidate:" not in sdp:
            self.error(p.ident, "no ICE candidate gathered: TURN server refused the allocation (wrong or expired credentials?) or is unreachable")
        return sdp

    async def close_peer(self, p):
        p.closed = True
        for t in list(p.tasks):
            t.cancel()
        if p.pc is not None:
            await p.pc.close()

    # --- commands ------------------------------------------------------------------------------

    def handle_line(self, line):
        line = line.strip()
        if not line:
            return
        try:
            msg = json.loads(line)
        except ValueError as exc:
            self.error(None, f"bad JSON: {exc}")
            return
        if not isinstance(msg, dict):
            self.error(None, "command must be a JSON object")
            return
        cmd = msg.get("cmd")
        peer = msg.get("peer")
        if cmd == "turn":
            urls = msg.get("urls")
            if isinstance(urls, str):
                urls = [urls]
            if not urls or not all(isinstance(u, str) for u in urls):
                self.error(None, "turn: urls must be a non-empty list of strings")
                return
            self.ice_servers = [RTCIceServer(urls=urls, username=msg.get("username"), credential=msg.get("credential"))]
            return
        if cmd == "quit":
            self.done.set()
            return
        if cmd not in ("connect", "offer", "answer", "close"):
            self.error(peer, f"unknown cmd {cmd!r}")
            return
        if peer is None or isinstance(peer, (dict, list, bool)):
            self.error(peer, f"{cmd}: peer must be a string or number")
            return
        if cmd in ("offer", "answer") and not isinstance(msg.get("sdp"), str):
            self.error(peer, f"{cmd}: sdp missing")
            return
        # Commands for one peer run in order; different peers proceed concurrently.
        lock = self.locks.setdefault(str(peer), asyncio.Lock())
        self.spawn(self.run_locked(lock, cmd, peer, msg))

    async def run_locked(self, lock, cmd, peer, msg):
        async with lock:
            try:
                await getattr(self, "cmd_" + cmd)(peer, msg)
            except Exception as exc:
                log.debug("%s %r failed", cmd, peer, exc_info=True)
                self.error(peer, f"{cmd}: {type(exc).__name__}: {exc}")

    async def cmd_connect(self, peer, msg):
        p = self.new_peer(peer, bool(msg.get("initiator")))
        if p.initiator:
            offer = await p.pc.createOffer()
            sdp = await self.set_local(p, offer)
            if not p.closed:
                emit({"event": "offer", "peer": p.ident, "sdp": sdp})

    async def cmd_offer(self, peer, msg):
        p = self.peers.get(str(peer))
        if p is None or p.closed:
            p = self.new_peer(peer, False)
        await p.pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
        answer = await p.pc.createAnswer()
        sdp = await self.set_local(p, answer)
        if not p.closed:
            emit({"event": "answer", "peer": p.ident, "sdp": sdp})

    async def cmd_answer(self, peer, msg):
        p = self.peers.get(str(peer))
        if p is None or p.closed:
            raise ValueError("no open peer connection for this peer")
        await p.pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="answer"))

    async def cmd_close(self, peer, msg):
        p = self.peers.get(str(peer))
        if p is None:
            raise ValueError("unknown peer")
        if not p.closed:
            await self.close_peer(p)
        emit({"event": "closed", "peer": peer})

    # --- main loop -----------------------------------------------------------------------------

    async def report_frames(self):
        while True:
            emit({"event": "frames", "counts": dict(self.counts), "peaks": dict(self.peaks)})
            await asyncio.sleep(0.25)

    async def run(self):
        loop = asyncio.get_running_loop()
        lines = asyncio.Queue()

        def read_stdin():
            # os.read on the raw fd: no buffered-reader lock that could hang interpreter shutdown.
            buf = b""
            while True:
                try:
                    chunk = os.read(0, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                buf += chunk
                *full, buf = buf.split(b"\n")
                for raw in full:
                    loop.call_soon_threadsafe(lines.put_nowait, raw.decode("utf-8", "replace"))
            if buf.strip():
                loop.call_soon_threadsafe(lines.put_nowait, buf.decode("utf-8", "replace"))
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=read_stdin, name="stdin", daemon=True).start()
        emit({"event": "ready"})
        reporter = asyncio.ensure_future(self.report_frames())

        async def consume():
            while True:
                line = await lines.get()
                if line is None:
                    self.done.set()
                    return
                try:
                    self.handle_line(line)
                except Exception as exc:
                    self.error(None, f"{type(exc).__name__}: {exc}")

        consumer = asyncio.ensure_future(consume())
        await self.done.wait()
        consumer.cancel()
        for t in list(self.tasks):
            t.cancel()
        for p in list(self.peers.values()):
            if not p.closed:
                try:
                    await asyncio.wait_for(self.close_peer(p), 5)
                except Exception as exc:
                    log.warning("closing %s: %s", p.key, exc)
        reporter.cancel()
        emit({"event": "frames", "counts": dict(self.counts), "peaks": dict(self.peaks)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", required=True, help="label for the logs on stderr")
    ap.add_argument("--gather-timeout", type=float, default=10.0, help="seconds to wait for ICE gathering")
    ap.add_argument("--verbose", action="store_true", help="aiortc/aioice debug logs on stderr")
    args = ap.parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format=f"%(asctime)s {args.name} %(name)s %(levelname)s %(message)s",
    )
    asyncio.run(VoicePeer(args.name, args.gather_timeout).run())
    _events.flush()
    sys.exit(0)


if __name__ == "__main__":
    main()
