"""Every failure becomes one JSON error body: {"error": {code, message, message_zh, details}}.

Domain errors raised by the services arrive intact over RPC and keep their own code and messages;
the table below holds the messages of the errors the gateway itself decides.
"""
import math

from amqp.exceptions import NotFound as NoSuchExchange
from eventlet import Timeout as EventletTimeout
from kombu.exceptions import OperationalError as BrokerError
from marshmallow import ValidationError
from nameko.exceptions import RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException

from hgrip_kernel.errors import DomainError
from hgrip_kernel.field_errors import field_errors

from .limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

# code -> (http status, English, 中文)
MESSAGES = {
    "bad_request": (400, "The request cannot be processed.", "请求无法处理。"),
    "invalid_encoding": (400, "The request's path or query string is not valid UTF-8, or contains control "
                              "characters.", "请求路径或查询字符串不是有效的 UTF-8 编码，或含有控制字符。"),
    "not_found": (404, "No such resource.", "请求的资源不存在。"),
    "method_not_allowed": (405, "This method is not allowed on this resource.", "该资源不支持此请求方法。"),
    "invalid_json": (400, "The request body is not a valid JSON document.", "请求体不是有效的 JSON。"),
    "invalid_input": (400, "The request contains invalid fields.", "请求中有字段不符合要求。"),
    "json_too_deep": (400, f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
                      f"JSON 请求体的嵌套超过 {MAX_JSON_DEPTH} 层。"),
    "payload_too_large": (413, f"The request body is too large: at most {MAX_BODY_BYTES} bytes.",
                          f"请求体过大：最多 {MAX_BODY_BYTES} 字节。"),
    "unsupported_media_type": (415, "The request body must be JSON: send Content-Type: application/json.",
                               "请求体须为 JSON：请使用 Content-Type: application/json。"),
    "uri_too_long": (414, "The request line (path and query string) is too long.", "请求行（路径与查询字符串）过长。"),
    "headers_too_large": (431, "The request's headers are too large.", "请求头过大。"),
    "http_version_not_supported": (505, "Only HTTP/1.0 and HTTP/1.1 are supported.", "仅支持 HTTP/1.0 与 HTTP/1.1。"),
    "unauthenticated": (401, "Authentication is required: send an Authorization: Bearer token "
                             "or log in to start a session.",
                        "需要登录：请在 Authorization 头中携带 Bearer 令牌，或先登录。"),
    "invalid_token": (401, "The access token is invalid or has expired.", "访问令牌无效或已过期。"),
    "csrf_rejected": (403, "This request was not sent by the platform's own pages; it was refused and "
                           "nothing was changed. Reload the page and try again.",
                      "该请求并非来自本平台页面，已被拒绝，未做任何更改。请刷新页面后重试。"),
    "operators_only": (403, "Only a platform operator may do this.", "仅平台运维人员可以进行此操作。"),
    "backup_not_submitted": (409, "The backup has not been submitted yet, so it has no registry sync state.",
                             "该备份尚未提交，尚无向人遗系统同步的状态。"),
    "invalid_signature": (401, "The HGRG request signature is missing, stale or wrong.",
                          "人遗系统请求签名缺失、过期或不正确。"),
    "service_unavailable": (503, "A service is unavailable, please try again later.", "服务暂时不可用，请稍后重试。"),
    "internal_error": (500, "An internal error occurred; it has been logged.", "服务器内部错误，已记录。"),
}

# The details of the refusals that state a limit (the numbers are in the messages too).
PAYLOAD_LIMIT = {"params": {"limit_bytes": MAX_BODY_BYTES}}
DEPTH_LIMIT = {"params": {"max_depth": MAX_JSON_DEPTH}}

# Failures that mean "the service is not there (in time)", not "the request is wrong". The broker
# refuses a publish to an exchange nobody declared yet (no service ever started on a fresh broker).
UNAVAILABLE = (UnknownService, RpcTimeout, EventletTimeout, BrokerError, ConnectionError, NoSuchExchange)


class GatewayError(Exception):
    """An error decided by the gateway; its messages come from MESSAGES."""

    def __init__(self, code: str, details: dict | None = None, headers: dict | None = None):
        self.http_status, self.message, self.message_zh = MESSAGES[code]
        self.code = code
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(code, self.details)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def error_body(code: str, message: str, message_zh: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "message_zh": message_zh, "details": details or {}}}


def gateway_error_body(code: str, details: dict | None = None) -> tuple[int, dict]:
    status, message, message_zh = MESSAGES[code]
    return status, error_body(code, message, message_zh, details)


def describe(exc: BaseException) -> tuple[int, dict, dict, bool]:
    """Map an exception to (status, body, extra headers, unexpected?).

    ``unexpected`` is True only for the 500 case, the one that must be logged with its traceback;
    its body says nothing about the exception itself.
    """
    if isinstance(exc, GatewayError):
        return exc.http_status, error_body(exc.code, exc.message, exc.message_zh, exc.details), exc.headers, False
    if isinstance(exc, DomainError):
        status = getattr(exc, "http_status", 400)
        details = exc.details
        if exc.code == "invalid_input":  # one shape of field problems, whichever service found them
            details = field_errors(details, {exc.message: exc.message_zh})
        return status, error_body(exc.code, exc.message, exc.message_zh, details), _retry_after(exc), False
    if isinstance(exc, ValidationError):
        status, body = gateway_error_body("invalid_input", _field_details(exc))
        return status, body, {}, False
    if isinstance(exc, UNAVAILABLE):
        details = {"service": exc.args[0]} if isinstance(exc, UnknownService) and exc.args else {}
        status, body = gateway_error_body("service_unavailable", details)
        return status, body, {"Retry-After": "5"}, False
    if isinstance(exc, HTTPException):
        return _describe_http(exc)
    status, body = gateway_error_body("internal_error")
    return status, body, {}, True


def _retry_after(exc: DomainError) -> dict:
    """A refusal that says when to come back (e.g. code_resend_too_soon, 429) says it in HTTP too.

    Retry-After wants whole seconds (RFC 9110), so a fraction is rounded up: never too early.
    The value may arrive as text: nameko stringifies every non-string inside an error's args.
    """
    details = exc.details if isinstance(exc.details, dict) else {}
    seconds = details.get("retry_after_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, str)):
        return {}
    try:
        seconds = float(seconds)
    except ValueError:
        return {}
    if not math.isfinite(seconds):
        return {}
    return {"Retry-After": str(max(0, math.ceil(seconds)))}


def _describe_http(exc: HTTPException) -> tuple[int, dict, dict, bool]:
    """Routing failures from werkzeug (no such route, wrong method, body too large)."""
    headers = {}
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    http_status = exc.code or 500
    code = codes.get(http_status) or ("bad_request" if http_status < 500 else "internal_error")
    if http_status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    status, body = gateway_error_body(code, PAYLOAD_LIMIT if code == "payload_too_large" else None)
    # Keep werkzeug's own 4xx status (414, 431...) even when the message is the generic one.
    return (http_status if code == "bad_request" else status), body, headers, code == "internal_error"


def _field_details(exc: ValidationError) -> dict:
    """{"fields": {path: [{code, message, message_zh, params}]}} (hgrip_kernel.field_errors)."""
    return field_errors(exc.normalized_messages())
