"""Domain errors: a stable code, an English and a Chinese message, optional details.

The constructor takes exactly (code, message, message_zh, details) as positional args so that the
nameko shell can rebuild the same class on the caller's side of an RPC from ``exc.args``.
"""
import json


class DomainError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str, message_zh: str, details: dict | str | None = None):
        if isinstance(details, str):  # rebuilt on the far side of an RPC call
            details = json.loads(details)
        details = details or {}
        # nameko turns every non-string in exc.args into text; JSON keeps numbers, lists and nulls.
        super().__init__(code, message, message_zh, json.dumps(details, ensure_ascii=False, default=str))
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "message_zh": self.message_zh,
                "details": self.details}


class InvalidInput(DomainError):
    http_status = 400


class Unauthorized(DomainError):
    http_status = 401


class Forbidden(DomainError):
    http_status = 403


class NotFound(DomainError):
    http_status = 404


class Conflict(DomainError):
    http_status = 409


class ConcurrencyError(Conflict):
    """Another writer appended to the stream first; the caller may reload and retry."""


class Locked(DomainError):
    http_status = 423


class TooManyRequests(DomainError):
    http_status = 429


class ServiceUnavailable(DomainError):
    """A peer we depend on (a repository, HGRG, mail) cannot be reached now; nothing was changed."""
    http_status = 503


ALL_ERRORS = (DomainError, InvalidInput, Unauthorized, Forbidden, NotFound, Conflict,
              ConcurrencyError, Locked, TooManyRequests, ServiceUnavailable)


def invalid_input(details: dict) -> InvalidInput:
    """The one error for payloads that fail their schema."""
    return InvalidInput("invalid_input", "The request contains invalid fields.",
                        "请求中有字段不符合要求。", details)
