"""JSON in, JSON out: reading a request body and building every response the gateway sends."""
import json

from marshmallow import Schema
from werkzeug.wrappers import Request, Response

from .errors import GatewayError, describe

JSON_TYPE = "application/json; charset=utf-8"
REQUEST_ID_HEADER = "X-Request-Id"
# Every body the API accepts is a small JSON object; anything bigger is refused before parsing.
MAX_BODY_BYTES = 1024 * 1024


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    # ensure_ascii=False: Chinese messages stay readable in the raw body.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, content_type=JSON_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(exc: BaseException, challenge: str | None = None) -> tuple[Response, bool]:
    """(response, unexpected?) for any exception; ``challenge`` is the WWW-Authenticate of a 401."""
    status, body, headers, unexpected = describe(exc)
    if status == 401 and challenge:
        headers = {"WWW-Authenticate": challenge, **headers}
    return json_response(body, status, headers), unexpected


def raw_body(request: Request) -> bytes:
    """The exact bytes received (cached, so HMAC checking and JSON parsing see the same thing)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise GatewayError("payload_too_large")
    # Also bounds a body without Content-Length: werkzeug raises 413 while reading.
    request.max_content_length = MAX_BODY_BYTES
    return request.get_data(cache=True)


def read_json(request: Request, schema: Schema) -> dict:
    """Parse the body as JSON (else invalid_json) and load it with ``schema`` (else invalid_input)."""
    data = raw_body(request)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GatewayError("invalid_json", {"reason": _json_reason(exc)}) from exc
    if not isinstance(document, dict):
        raise GatewayError("invalid_json", {"reason": "the body must be a JSON object"})
    return schema.load(document)


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "the body is not UTF-8"
    return "not JSON"
