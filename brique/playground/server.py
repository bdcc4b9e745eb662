"""The playground's web server: the standard library's `http.server`, a thread per request.

Routes (`?session=ID` names the page's session, one per browser tab):
    GET  /                      the page;  GET /static/NAME  its assets
    GET  /api/schema            the setting's keys, defaults, ranges, and the course presets
    POST /api/state             body: a URL query; applies it, answers the repaired one
    POST /api/play              body: true/false;  POST /api/step, /api/reset, /api/regenerate
    POST /api/param             body: {"layer", "row", "col", "value"}  (col -1: the bias)
    POST /api/upload            body: CSV text (x1,x2,label)
    GET  /api/snapshot, /api/points
    GET  /events                Server-Sent Events: `points` when the data changes, `snapshot`
                                on every change; while playing, the stream's thread trains
                                and sends about 20 snapshots a second.
"""
from __future__ import annotations

import json
import re
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from . import state as state_mod
from .data import FEATURE_LABELS
from .session import Session

UPDATE_SECONDS = 0.05   # training slice between two streamed snapshots: 20 updates per second
KEEPALIVE_SECONDS = 15
IDLE_SESSION_SECONDS = 3600
MAX_BODY = 2_000_000
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True          # a stream's thread never blocks shutdown
    allow_reuse_address = True

    def __init__(self, address):
        super().__init__(address, Handler)
        self.sessions = {}
        self.sessions_lock = threading.Lock()

    def session(self, sid):
        if not SESSION_ID.match(sid or ""):
            raise ValueError(f"session must be 1-64 letters, digits, - or _, got {sid!r}")
        with self.sessions_lock:
            now = time.monotonic()
            for old in [k for k, s in self.sessions.items()
                        if now - s.last_seen > IDLE_SESSION_SECONDS]:
                del self.sessions[old]
            if sid not in self.sessions:
                self.sessions[sid] = Session()
            return self.sessions[sid]

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


def _asset(name):
    return resources.files(__package__).joinpath("static", name)


class Handler(BaseHTTPRequestHandler):
    server_version = "brique-playground"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # a request line per update would bury the terminal

    # -- plumbing ------------------------------------------------------------------------
    def _send(self, status, body, content_type="application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body, allow_nan=False).encode() if content_type.startswith(
                "application/json") else str(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError(f"request body of {n} bytes is over the {MAX_BODY} byte limit")
        return self.rfile.read(n).decode("utf-8") if n else ""

    def _route(self):
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return parts.path, query

    # -- GET -----------------------------------------------------------------------------
    def do_GET(self):
        path, query = self._route()
        try:
            if path in ("/", "/index.html"):
                return self._static("index.html")
            if path.startswith("/static/"):
                return self._static(path[len("/static/"):])
            if path == "/api/schema":
                return self._send(200, {"fields": state_mod.schema(),
                                        "presets": state_mod.PRESETS,
                                        "feature_labels": FEATURE_LABELS,
                                        "hideable": list(state_mod.HIDEABLE)})
            session = self.server.session(query.get("session"))
            if path == "/api/snapshot":
                return self._send(200, session.snapshot())
            if path == "/api/points":
                return self._send(200, session.points())
            if path == "/events":
                return self._stream(session)
            self._send(404, {"error": f"no such page: {path}"})
        except ValueError as e:
            self._send(400, {"error": str(e)})

    def _static(self, name):
        if not re.match(r"^[A-Za-z0-9_-]+\.[a-z]+$", name) or not _asset(name).is_file():
            return self._send(404, {"error": f"no such asset: {name}"})
        suffix = name[name.rindex("."):]
        self._send(200, _asset(name).read_bytes(), TYPES.get(suffix, "application/octet-stream"))

    def _stream(self, session):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        me = object()
        session.streamer = me    # the newest stream of a page trains; older ones only watch
        sent_version, sent_data = None, None
        try:
            while True:
                if session.playing and session.streamer is me:
                    session.train_for(UPDATE_SECONDS)
                else:
                    session.wait(sent_version, KEEPALIVE_SECONDS)
                snap = session.snapshot()
                if snap["data_version"] != sent_data:
                    self._event("points", session.points())
                    sent_data = snap["data_version"]
                if snap["version"] != sent_version:
                    self._event("snapshot", snap)
                    sent_version = snap["version"]
                else:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                session.last_seen = time.monotonic()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return  # the page went away

    def _event(self, name, payload):
        self.wfile.write(f"event: {name}\ndata: {json.dumps(payload, allow_nan=False)}\n\n"
                         .encode())
        self.wfile.flush()

    # -- POST ----------------------------------------------------------------------------
    def do_POST(self):
        path, query = self._route()
        try:
            session = self.server.session(query.get("session"))
            body = self._body()
            if path == "/api/state":
                return self._send(200, {"state": session.apply(body)})
            if path == "/api/play":
                session.set_playing(body.strip() == "true")
            elif path == "/api/step":
                session.step()
            elif path == "/api/reset":
                session.reset()
            elif path == "/api/regenerate":
                return self._send(200, {"state": session.regenerate()})
            elif path == "/api/upload":
                return self._send(200, {"state": session.upload(body)})
            elif path == "/api/param":
                p = json.loads(body)
                session.set_param(int(p["layer"]), int(p["row"]), int(p["col"]),
                                  float(p["value"]))
            else:
                return self._send(404, {"error": f"no such action: {path}"})
            self._send(200, {"ok": True})
        except (ValueError, KeyError, TypeError) as e:
            self._send(400, {"error": str(e)})


def make_server(host="127.0.0.1", port=8000):
    """A server bound to (host, port) (port 0: any free one), not yet serving."""
    return PlaygroundServer((host, port))


def serve(host="127.0.0.1", port=8000, open_browser=True):
    """Serve the playground until Ctrl-C."""
    server = make_server(host, port)
    print(f"brique playground: {server.url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, args=(server.url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
