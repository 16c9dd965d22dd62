#!/usr/bin/env python3
"""A stand-in for the Agones SDK sidecar's REST gateway (https://agones.dev/site/docs/guides/client-sdks/rest/),
for tests: POST /ready /allocate /health /shutdown, PUT /metadata/label and /metadata/annotation
({"key", "value"}), GET /gameserver. Every call is appended to LOG as one JSON line; the
GameServer's state follows the calls (Scheduled -> Ready -> Allocated -> Shutdown) unless the
file STATE holds a state, which then wins (how a test plays Agones shutting the server down).
Loopback only. Usage: fake_agones_sdk.py PORT LOG STATE"""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log_path, state_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
gs = {"state": "Scheduled", "labels": {}, "annotations": {}}

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, body):
        with lock, open(log_path, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body}) + "\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode() if n else ""
        transitions = {"/ready": "Ready", "/allocate": "Allocated", "/shutdown": "Shutdown", "/health": None}
        if self.path not in transitions:
            return self.reply(404, {"error": "not found"})
        self.record(raw)
        with lock:
            if transitions[self.path]:
                gs["state"] = transitions[self.path]
        self.reply(200, {})

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode() if n else ""
        kinds = {"/metadata/label": "labels", "/metadata/annotation": "annotations"}
        if self.path not in kinds:
            return self.reply(404, {"error": "not found"})
        try:
            kv = json.loads(raw)
            key, value = kv["key"], kv["value"]
        except Exception:
            return self.reply(400, {"error": "want {\"key\", \"value\"}"})
        self.record(raw)
        with lock:
            gs[kinds[self.path]]["agones.dev/sdk-" + key] = value
        self.reply(200, {})

    def do_GET(self):
        if self.path != "/gameserver":
            return self.reply(404, {"error": "not found"})
        with lock:
            state = gs["state"]
            if os.path.exists(state_path):
                state = open(state_path).read().strip() or state
            doc = {"object_meta": {"name": "kk-shard-test", "labels": gs["labels"], "annotations": gs["annotations"]},
                   "status": {"state": state, "address": "127.0.0.1", "ports": []}}
        self.reply(200, doc)

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
