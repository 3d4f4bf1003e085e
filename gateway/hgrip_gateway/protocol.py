"""The HTTP layer under the WSGI application: nameko's eventlet protocol, with every answer it
decides by itself (a malformed request line, a bad HTTP version, oversized headers, broken body
framing) given as the gateway's JSON error body and headers instead of HTML or an empty 400.

http.server decodes the request line as latin-1 and splits it on any whitespace, so a raw UTF-8
query (``?delegate=张晓寒``, as curl sends it) broke on 张's last byte (A0, a no-break space in
latin-1): "Bad request syntax". The request target's raw bytes are percent-encoded first, so
raw UTF-8 means exactly what its percent-encoded spelling means (request_target.py then checks it).
"""
import json
import re
import socket
from http import HTTPStatus

from eventlet.wsgi import HeaderLineTooLong, HeadersTooLarge
from nameko.web.server import HttpOnlyProtocol

from hgrip_kernel.context import sane_request_id
from hgrip_kernel.logging import get_logger

from .errors import gateway_error_body
from .limits import MAX_REQUEST_LINE_BYTES
from .responses import JSON_TYPE, REQUEST_ID_HEADER

# Bytes a request target may hold as they are (RFC 3986's visible ASCII); others are percent-encoded.
_NOT_VISIBLE = re.compile(rb"[^\x21-\x7e]")
_DIGITS = re.compile(r"[0-9]+")
# http.server's send_error statuses -> the gateway's codes.
_CODES = {400: "bad_request", 414: "uri_too_long", 431: "headers_too_large", 505: "http_version_not_supported"}
# Of a refused request, how much is read (and dropped) before closing, so that the client reads the
# answer instead of a connection reset.
_DRAIN_BYTES, _DRAIN_SECONDS = 256 * 1024, 0.5

log = get_logger(__name__)


def percent_encode_target(raw_line: bytes) -> bytes:
    """``METHOD SP target SP version CRLF`` with the target's raw bytes percent-encoded; any other
    shape is returned as it is (http.server refuses it)."""
    parts = raw_line.rstrip(b"\r\n").split(b" ")
    if len(parts) != 3:
        return raw_line
    method, target, version = parts
    target = _NOT_VISIBLE.sub(lambda byte: b"%%%02X" % byte.group()[0], target)
    return b" ".join((method, target, version)) + b"\r\n"


def framing_problem(headers) -> str | None:
    """Why the body's length cannot be trusted (request smuggling's ingredients), if it cannot."""
    lengths = headers.get_all("Content-Length") or []
    encoding = headers.get("Transfer-Encoding")
    if any(not _DIGITS.fullmatch(value.strip()) for value in lengths):
        return "Content-Length is not a number"
    if len({value.strip().lstrip("0") for value in lengths}) > 1:
        return "conflicting Content-Length headers"
    if encoding is not None and lengths:
        return "Content-Length and Transfer-Encoding together"
    if encoding is not None and encoding.strip().lower() != "chunked":
        return "only Transfer-Encoding: chunked is supported"
    return None


class GatewayProtocol(HttpOnlyProtocol):
    def _read_request_line(self):
        line = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:
            self.refuse("uri_too_long", {"params": {"limit_bytes": MAX_REQUEST_LINE_BYTES}})
            return ""  # eventlet then closes the connection without a word of its own
        return line

    def parse_request(self):
        self.raw_requestline = percent_encode_target(self.raw_requestline)
        try:
            if not super().parse_request():
                return False
        except (HeaderLineTooLong, HeadersTooLarge):
            self.refuse("headers_too_large")
            return False
        problem = framing_problem(self.headers)
        if problem:
            self.refuse("bad_request", {"reason": problem})
            return False
        return True

    def get_environ(self):
        environ = super().get_environ()
        if self.headers.get("Content-Type") is None:
            # eventlet fills in email's default, text/plain; a body without a type is read as JSON
            # (responses.read_json), a text/plain one is 415.
            environ.pop("CONTENT_TYPE", None)
        if environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower() == "chunked":
            # eventlet's input ends where the chunks end: werkzeug may then read it, within
            # max_content_length (otherwise it reads a chunked body as empty).
            environ["wsgi.input_terminated"] = True
        return environ

    def send_error(self, code, message=None, explain=None):
        """http.server's refusals (bad request line, version, too many headers) as JSON."""
        code = int(code)
        reason = (message or HTTPStatus(code).phrase).split(" (")[0]  # without the echoed request line
        self.refuse(_CODES.get(code, "bad_request"), {"reason": reason} if code == 400 else None)

    def refuse(self, code: str, details: dict | None = None) -> None:
        """Answer the gateway's JSON error and close the connection (the request cannot be trusted)."""
        status, body = gateway_error_body(code, details)
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        request_id = sane_request_id(None)
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {JSON_TYPE}\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\nCache-Control: no-store\r\n"
                f"X-Content-Type-Options: nosniff\r\n{REQUEST_ID_HEADER}: {request_id}\r\n\r\n")
        log.warning("http.refused", status=status, code=code, correlation_id=request_id,
                    client=self.client_address[0] if self.client_address else None)
        self.close_connection = True
        try:
            self.wfile.write(head.encode("latin-1") + payload)
            self.wfile.flush()
            self._drain()
        except OSError:  # the client is gone: nothing to answer
            pass

    def _drain(self):
        """Read what the client is still sending, for a moment: closing a socket with unread input
        sends a reset, which can destroy the answer before the client reads it."""
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(_DRAIN_SECONDS)
        drained = 0
        try:
            while drained < _DRAIN_BYTES:
                chunk = self.connection.recv(16384)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:  # timed out, or reset: enough
            pass
