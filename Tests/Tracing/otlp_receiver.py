#!/usr/bin/env python3
"""A small OTLP/HTTP trace receiver for tests (opentelemetry-proto from PyPI): POST /v1/traces
with an ExportTraceServiceRequest (protobuf) is decoded and every span appended to OUT as one
JSON line: service, trace_id, span_id, parent_span_id (hex), name, kind, attributes. Loopback
only. Usage: otlp_receiver.py PORT OUT"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

port, out = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()

def value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            self.send_response(404); self.end_headers(); return
        req = trace_service_pb2.ExportTraceServiceRequest()
        try:
            req.ParseFromString(body)
        except Exception as e:
            self.send_response(400); self.end_headers(); self.wfile.write(str(e).encode()); return
        lines = []
        for rs in req.resource_spans:
            service = next((value(a.value) for a in rs.resource.attributes if a.key == "service.name"), None)
            for ss in rs.scope_spans:
                for s in ss.spans:
                    lines.append(json.dumps({"service": service, "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                                             "parent_span_id": s.parent_span_id.hex(), "name": s.name, "kind": s.kind,
                                             "attributes": {a.key: value(a.value) for a in s.attributes}}))
        with lock, open(out, "a") as f:
            for l in lines:
                f.write(l + "\n")
        reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
