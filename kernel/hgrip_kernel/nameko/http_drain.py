"""Stopping a process's HTTP entrypoints without losing an answer (used by ``hgrip serve``).

nameko stops its WebServer last, after the workers and the dependencies: until then, new connections
and the next request on a kept-alive one still start workers, whose RPCs go out while their
connection is about to be killed — the effect happens, the answer is lost, and a client that tries
again creates a second one. Draining first: each new request is answered at once with a 503 and
``Retry-After`` (nothing was started: trying again is safe), the requests in flight finish and are
answered, and only then does nameko stop.
"""
import json

import eventlet
from nameko.web.server import WebServer

RETRY_AFTER_SECONDS = 1
_BODY = json.dumps({"error": {
    "code": "service_unavailable", "message": "This server is stopping; please try again.",
    "message_zh": "服务正在停止，请稍后重试。", "details": {"retry_after_seconds": RETRY_AFTER_SECONDS}}},
    ensure_ascii=False).encode("utf-8")


class Drain:
    def __init__(self):
        self.draining = False
        self.in_flight = 0

    def wrap(self, app):
        def drained(environ, start_response):
            if self.draining:
                start_response("503 Service Unavailable", [
                    ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(_BODY))),
                    ("Retry-After", str(RETRY_AFTER_SECONDS)), ("Connection", "close"),
                    # what every answer of the gateway carries (docs/api.md), this one included
                    ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
                return [_BODY]
            self.in_flight += 1
            try:
                body = app(environ, start_response)
            except BaseException:
                self.in_flight -= 1
                raise
            return _Answered(body, self._done)
        return drained

    def _done(self) -> None:
        self.in_flight -= 1

    def drain(self, timeout: float) -> bool:
        """Refuse new requests; wait until those in flight are answered (True) or ``timeout`` passes."""
        self.draining = True
        waited = 0.0
        while self.in_flight and waited < timeout:
            eventlet.sleep(0.05)
            waited += 0.05
        return not self.in_flight


class _Answered:
    """The response body; the request counts as in flight until the server has written and closed it."""

    def __init__(self, body, done):
        self.body, self.done = body, done

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done()


def install(runner) -> Drain:
    """Wrap the WSGI application of every web server of ``runner``'s containers (call once started:
    the server reads its application per request; subclasses such as the gateway's keep working)."""
    drain = Drain()
    for container in runner.containers:
        for extension in container.subextensions:
            if isinstance(extension, WebServer) and getattr(extension, "_serv", None) is not None:
                extension._serv.app = drain.wrap(extension._serv.app)
    return drain
