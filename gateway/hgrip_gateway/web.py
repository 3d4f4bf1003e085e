"""nameko's @http with JSON errors and a sane X-Request-Id on every response.

nameko's WebServer answers unknown routes, wrong methods and crashed handlers with werkzeug's
HTML or plain text; this server answers them with the gateway's JSON error body instead, and so
does its HTTP protocol (protocol.py) for requests too broken to reach the application. It is a
separate SharedExtension class, so every gateway route must use ``api`` (not plain ``@http``),
or two servers would try to bind the same port.
Every answer is counted by route template (never the raw path) and status in the process's metrics.
"""
import gzip
import time

from eventlet import wsgi
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from hgrip_kernel import metrics
from hgrip_kernel.context import sane_request_id
from hgrip_kernel.logging import get_logger

from .limits import MAX_REQUEST_LINE_BYTES
from .protocol import GatewayProtocol
from .request_target import check_target
from .responses import REQUEST_ID_HEADER, error_response
from .webapp import PageConverter

# Pages: no script but our own files (no inline script anywhere); Element Plus sets inline style
# attributes, hence style-src 'unsafe-inline'. Never framed (clickjacking), no referrer leaves.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
API_PREFIX = "/api/"
# JSON answers above this size travel gzipped to clients that accept it (a 200-file backup is ~50 KB
# of JSON, ~10 KB gzipped); below it the header costs more than it saves.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6

REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"
ROUTE_ENVIRON = "hgrip.route"   # the matched rule's template, for the metrics
UNMATCHED = "unmatched"         # no route (404, 405, a refused target): one label for all of them
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

log = get_logger(__name__)


class GatewayWsgiApp(WsgiApp):
    def __init__(self, server):
        super().__init__(server)
        container = getattr(server, "container", None)   # the metrics' service label
        self.service = container.service_name if container is not None else "gateway"

    def __call__(self, environ, start_response):
        started = time.monotonic()
        # Replace the caller's id by a sane one before anything reads it: the RequestContext
        # dependency then takes this value as the correlation id of the whole request.
        request_id = sane_request_id(environ.get(REQUEST_ID_ENVIRON))
        environ[REQUEST_ID_ENVIRON] = request_id
        try:
            check_target(environ)  # before anything decodes the path or reads request.args
            response = self._dispatch(environ)
        except Exception as exc:  # a bad target, routing failed (404/405) or the server itself broke
            response, unexpected = error_response(exc)
            if unexpected:
                log.exception("http.unhandled", correlation_id=request_id, path=environ.get("PATH_INFO"))
        if REQUEST_ID_HEADER not in response.headers:
            response.headers[REQUEST_ID_HEADER] = request_id
        secure_headers(response, environ.get("PATH_INFO", ""))
        compress_json(response, environ.get("HTTP_ACCEPT_ENCODING", ""))
        method = environ.get("REQUEST_METHOD", "")
        route, took = environ.get(ROUTE_ENVIRON, UNMATCHED), time.monotonic() - started
        metrics.http_answered(self.service, method if method in KNOWN_METHODS else "other",
                              route, response.status_code, took)
        if route == UNMATCHED:   # (a matched route logs its own http.request, with its correlation id)
            log.info("http.request", method=method[:16], path=environ.get("PATH_INFO", "")[:200], route=route,
                     status=response.status_code, duration_ms=round(took * 1000, 1), correlation_id=request_id)
        return response(environ, start_response)

    def _dispatch(self, environ):
        request = Request(environ, shallow=True)
        rule, values = self.url_map.bind_to_environ(environ).match(return_rule=True)
        environ[ROUTE_ENVIRON] = rule.rule
        provider = rule.endpoint
        request.path_values = values
        return provider.handle_request(request)


def secure_headers(response: Response, path: str) -> None:
    """Headers every response gets, whichever code path built it (routes, 404s, pages)."""
    response.headers["X-Content-Type-Options"] = "nosniff"  # a type is what it says, never guessed
    if response.mimetype == "text/html":
        for name, value in PAGE_SECURITY_HEADERS.items():
            response.headers[name] = value
    if (path.startswith(API_PREFIX) or response.status_code >= 400) and "Cache-Control" not in response.headers:
        # API answers are per account, errors are about one request: no shared or browser cache keeps them.
        response.headers["Cache-Control"] = "no-store"


def compress_json(response: Response, accept_encoding: str) -> None:
    """Gzip a JSON answer in place when the client accepts gzip and it is worth it. Pages are
    precompressed at build time (webapp.py), so only the API's JSON is compressed here."""
    if response.mimetype != "application/json":
        return
    response.vary.add("Accept-Encoding")  # caches must not serve one encoding for the other
    if response.is_streamed or "Content-Encoding" in response.headers or not _accepts_gzip(accept_encoding):
        return
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return
    response.set_data(gzip.compress(body, GZIP_LEVEL))
    response.headers["Content-Encoding"] = "gzip"


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


class ServerLog:
    """What eventlet's HTTP server logs, as JSON lines. Its access line per request (plain text, with
    the query string, where a filter may carry a person's name) is left out: every API request has
    its ``http.request`` line (path without query, route, status, duration, request id). What it
    reports of a failure (a traceback, an I/O error on a connection) is kept."""

    def debug(self, msg, *args, **kwargs):
        pass

    def info(self, msg, *args, **kwargs):
        if msg.startswith("Traceback"):   # (an access line otherwise)
            log.error("http.server_failed", traceback=msg)

    def error(self, msg, *args, **kwargs):
        log.warning("http.server_error", message=msg % args if args else msg)


class GatewayWebServer(WebServer):
    def get_wsgi_app(self):
        return GatewayWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=GatewayProtocol, debug=False):
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=ServerLog(), url_length_limit=MAX_REQUEST_LINE_BYTES)

    def make_url_map(self):
        # nameko's own make_url_map, with the converter of page paths (webapp.PageConverter).
        url_map = Map(converters={"page": PageConverter})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map


class GatewayHttpHandler(HttpRequestHandler):
    server = GatewayWebServer()

    def response_from_exception(self, exc):
        # Only reached if a handler escaped the route wrapper (or its signature did not match).
        response, unexpected = error_response(exc)
        if unexpected:
            log.error("http.handler_failed", error=type(exc).__name__, exc_info=exc)
        return response


api = GatewayHttpHandler.decorator
