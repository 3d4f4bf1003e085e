"""What the gateway's HTTP server writes to the log: JSON lines only. eventlet's plain-text access
line (with the query string, where a filter may carry a person's name) is gone; every request has its
``http.request`` line — a matched route's from the route, any other (404, 405) from the server — with
the path but never the query; what eventlet reports of a failure is kept, as JSON."""
import logging

import requests
from structlog.testing import capture_logs

from hgrip_gateway.web import ServerLog


def test_requests_are_logged_as_json_without_their_query_string(start_gateway, health_stub, caplog):
    gateway = start_gateway()
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        unknown = requests.get(f"{gateway.base_url}/api/v1/no-such-thing?name=%E5%BC%A0%E6%99%93%E5%AF%92",
                               timeout=10)
        routed = gateway.get("/api/v1/institution/backups?pi=%E5%BC%A0%E6%99%93%E5%AF%92")   # no token: 401
    assert unknown.status_code == 404 and routed.status_code == 401
    requests_logged = [entry for entry in logs if entry["event"] == "http.request"]
    assert [(e["path"], e["route"], e["status"]) for e in requests_logged] == [
        ("/api/v1/no-such-thing", "unmatched", 404), ("/api/v1/institution/backups", "institution_backups", 401)]
    assert requests_logged[0]["correlation_id"] == unknown.headers["X-Request-Id"]
    # Nothing else logged either request: no access line, in JSON or in plain text.
    server_side = [r for r in caplog.records if not r.name.startswith("urllib3")]   # (the client's own)
    assert not [r for r in server_side if "no-such-thing" in r.getMessage() or "%E5" in r.getMessage()]
    assert not [e for e in logs if e is not requests_logged[0] and "no-such-thing" in str(e)]


def test_the_server_log_keeps_failures_and_drops_access_lines():
    server_log = ServerLog()
    with capture_logs() as logs:
        server_log.info('127.0.0.1 - - [03/Dec/2026 08:41:12] "GET /api/v1/me?x=1 HTTP/1.1" 200 10 0.01')
        server_log.debug("(1) connection reset by peer ('127.0.0.1', 5)")
        server_log.info("Traceback (most recent call last):\n  ...\nValueError: broken")
        server_log.error('I/O error while discarding request body. client=%s', "127.0.0.1")
    assert [(e["event"], e["log_level"]) for e in logs] == [("http.server_failed", "error"),
                                                            ("http.server_error", "warning")]
    assert logs[0]["traceback"].endswith("ValueError: broken")
    assert logs[1]["message"] == "I/O error while discarding request body. client=127.0.0.1"
