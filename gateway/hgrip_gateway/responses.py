"""JSON in, JSON out: reading a request body and building every response the gateway sends."""
import json
import re

from marshmallow import Schema, ValidationError
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from hgrip_kernel.schema_fields import CONTROL_CHARACTERS_ERROR

from .errors import DEPTH_LIMIT, PAYLOAD_LIMIT, GatewayError, describe
from .limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

__all__ = ["JSON_TYPE", "MAX_BODY_BYTES", "REQUEST_ID_HEADER", "error_response", "json_response", "raw_body",
           "read_json"]

JSON_TYPE = "application/json; charset=utf-8"
REQUEST_ID_HEADER = "X-Request-Id"
# A string (escapes included) or a bracket: what counting the nesting depth has to look at.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    # ensure_ascii=False: Chinese messages stay readable in the raw body.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, content_type=JSON_TYPE)
    for name, value in (headers or {}).items():
        if isinstance(value, list):   # a header sent more than once (a session's two Set-Cookie)
            for one in value:
                response.headers.add(name, one)
        else:
            response.headers[name] = value
    return response


def error_response(exc: BaseException, challenge: str | None = None) -> tuple[Response, bool]:
    """(response, unexpected?) for any exception; ``challenge`` is the WWW-Authenticate of a 401."""
    status, body, headers, unexpected = describe(exc)
    if status == 401 and challenge:
        headers = {"WWW-Authenticate": challenge, **headers}
    return json_response(body, status, headers), unexpected


def raw_body(request: Request) -> bytes:
    """The exact bytes received (cached, so HMAC checking and JSON parsing see the same thing).

    Over the limit is refused from Content-Length before a byte is read, and a chunked body (no
    Content-Length; protocol.py marks its input as terminated) as soon as it passes the limit."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise GatewayError("payload_too_large", PAYLOAD_LIMIT)
    # One byte more than allowed may be read: werkzeug stops a chunked body at the limit silently.
    request.max_content_length = MAX_BODY_BYTES + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise GatewayError("payload_too_large", PAYLOAD_LIMIT) from None
    except (ValueError, OSError, ClientDisconnected) as exc:  # broken chunked framing, or a body cut short
        raise GatewayError("bad_request", {"reason": "the request body could not be read"}) from exc
    if len(data) > MAX_BODY_BYTES:
        raise GatewayError("payload_too_large", PAYLOAD_LIMIT)
    return data


def read_json(request: Request, schema: Schema) -> dict:
    """Parse the body as JSON (else 415 or invalid_json) and load it with ``schema`` (else invalid_input).

    A body without Content-Type is read as JSON (curl, scripts); any other type is 415."""
    if request.mimetype and not _is_json(request):
        raise GatewayError("unsupported_media_type", {"content_type": request.mimetype})
    data = raw_body(request)
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise GatewayError("json_too_deep", DEPTH_LIMIT)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GatewayError("invalid_json", {"reason": _json_reason(exc)}) from exc
    if not isinstance(document, dict):
        raise GatewayError("invalid_json", {"reason": "the body must be a JSON object"})
    holding_nul = list(_nul_paths(document))
    if holding_nul:  # PostgreSQL text cannot hold U+0000: refused here for every field (found by schemathesis)
        raise ValidationError({path: [CONTROL_CHARACTERS_ERROR] for path in holding_nul})
    return schema.load(document)


def _nul_paths(value, path: str = ""):
    """The dotted paths (as field problems name them: units.0.code) of strings holding U+0000."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "_schema"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


def _is_json(request: Request) -> bool:
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    json_type = mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))
    return json_type and charset in ("utf-8", "utf8")


def _deeper_than(data: bytes, limit: int) -> bool:
    """Whether brackets nest deeper than ``limit`` (strings skipped): one regex pass over the bytes,
    so a 1 MiB body of ``[[[[`` costs milliseconds, not the parser's recursion."""
    if data.count(b"[") + data.count(b"{") <= limit:  # every ordinary body: no scan at all
        return False
    depth = 0
    for token in _JSON_TOKEN.finditer(data):
        first = token.group()[0]
        if first in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif first in b"]}":
            depth -= 1
    return False


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "the body is not UTF-8"
    return "not JSON"
