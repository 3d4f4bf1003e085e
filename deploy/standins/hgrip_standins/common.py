"""Plumbing shared by the HTTP stand-ins: addresses, the var dir, a JSON request handler, serving."""
import json
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from hgrip_kernel.masking import mask_text


def parse_address(value: str, default_port: int) -> tuple[str, int]:
    """'host:port', ':port' or 'host' → (host, port); host defaults to loopback."""
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    return (host or "127.0.0.1"), int(port or default_port)


def address_from_env(variable: str, default: str) -> tuple[str, int]:
    return parse_address(os.environ.get(variable) or default, int(default.rsplit(":", 1)[1]))


def var_path(*parts: str) -> Path:
    """A directory under $HGRIP_VAR (default ./var), created on demand."""
    path = Path(os.environ.get("HGRIP_VAR", "var")).resolve().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def file_stamp(moment: datetime) -> str:
    """A UTC timestamp that sorts lexically and is safe in a file name."""
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


def log(name: str, message: str) -> None:
    # Masked like the services' lines: request lines carry mobiles and addresses in their queries.
    print(f"{iso(utc_now())} {name} {mask_text(message)}", flush=True)


@dataclass(frozen=True)
class Response:
    """A non-JSON answer a route may return instead of a payload (the sinks' inbox pages, raw mail)."""
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class BadRequest(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class JsonHandler(BaseHTTPRequestHandler):
    """Routes `(METHOD, path)` to methods that return `(status, payload)`; always answers JSON."""

    protocol_version = "HTTP/1.1"   # keep-alive; every answer carries Content-Length
    # An answer goes out as two writes (head, then body): with Nagle's algorithm the body waits for
    # the client's ACK of the head, which a kept-alive client delays (up to 40 ms on Linux) — a
    # stall per answer no real server has. TCP_NODELAY sends each write at once.
    disable_nagle_algorithm = True
    server_version = "hgrip-standin/0.1"
    standin_name = "standin"
    routes: dict[tuple[str, str], str] = {}

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        url = urlsplit(self.path)
        self.url_path, self.query = url.path, parse_qs(url.query)
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            resolved = self.resolve(self.command, url.path)
            if resolved is None:
                known = self.serves_path(url.path)
                raise BadRequest("method_not_allowed" if known else "not_found",
                                 f"{self.command} {url.path} is not served here", 405 if known else 404)
            name, arguments = resolved
            status, payload = getattr(self, name)(**arguments)
        except BadRequest as error:
            status, payload = error.status, {"error": error.code, "message": error.message}
        if isinstance(payload, Response):
            self.send_body(status, payload)
        else:
            self.send_json(status, payload)

    def resolve(self, method: str, path: str) -> tuple[str, dict] | None:
        """(handler method name, its keyword arguments) for a request, or None.

        Exact `routes` here; a stand-in with path parameters overrides this.
        """
        name = self.routes.get((method, path))
        return (name, {}) if name else None

    def serves_path(self, path: str) -> bool:
        """Whether some method is served at `path` (then a wrong method is a 405, not a 404)."""
        return any(known == path for _, known in self.routes)

    def json_body(self) -> dict:
        try:
            payload = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("invalid_json", "the body is not UTF-8 JSON") from None
        if not isinstance(payload, dict):
            raise BadRequest("invalid_json", "the body must be a JSON object")
        return payload

    def send_json(self, status: int, payload) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_body(self, status: int, response: Response) -> None:
        self.send_response(status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter, stripped; None when absent or blank."""
        value = (self.query.get(name) or [""])[0].strip()
        return value or None

    def log_message(self, format, *args):
        log(self.standin_name, format % args)


def make_server(handler: type, host: str, port: int, **attributes) -> ThreadingHTTPServer:
    """A threaded server; `attributes` become server attributes the handler reads (state, config)."""
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    for key, value in attributes.items():
        setattr(server, key, value)
    return server


def start_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=type(server).__name__, daemon=True)
    thread.start()
    return thread


def signal_queue(signums) -> "queue.SimpleQueue[int]":
    """Handlers for ``signums`` that only put the signal's number on the queue returned; whoever acts
    on a signal takes it from there. A Python signal handler runs in the main thread between two
    bytecodes, perhaps while that thread holds a lock (an Event's inside its ``wait``, an output
    lock): a handler taking the same lock would wait for itself forever. ``SimpleQueue.put`` is
    reentrant, so it is safe there."""
    signals: queue.SimpleQueue[int] = queue.SimpleQueue()
    for signum in signums:
        signal.signal(signum, lambda number, _frame: signals.put(number))
    return signals


def run_until_signalled(start, stop, name: str) -> None:
    """Start a server, block until SIGINT/SIGTERM, then stop it (the runner sends SIGTERM).

    SIGHUP, which `hgrip-run` arranges for should it die, stops it $HGRIP_ORPHAN_STOP_DELAY seconds
    later (after the services that use it). A repeated signal while stopping changes nothing;
    "stopping" and "stopped" are the lines a supervisor (or a test) reads.
    """
    asked: list[int] = []
    stop_at: float | None = None
    signals = signal_queue((signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
    start()
    try:
        while stop_at is None or time.monotonic() < stop_at:
            try:
                signum = signals.get(timeout=0.2)   # timed: a SIGHUP's delay is watched meanwhile
            except queue.Empty:
                continue
            asked.append(signum)
            if signum != signal.SIGHUP:
                break
            if stop_at is None:
                stop_at = time.monotonic() + float(os.environ.get("HGRIP_ORPHAN_STOP_DELAY") or 0)
    finally:
        log(name, f"stopping ({signal.Signals(asked[0]).name if asked else 'error'})")
        stop()
        log(name, "stopped")
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):   # stopped: a late one must not
            signal.signal(signum, signal.SIG_IGN)                       # kill the exit (code -15)
    sys.exit(0)
