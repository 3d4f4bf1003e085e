"""Signed, expiring access tokens (JWT, HS256)."""
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import jwt

from hgrip_kernel import access_tokens
from hgrip_kernel.access_tokens import ALGORITHM

from ..app.ports import InvalidToken

DEFAULT_TTL_SECONDS = 7200

__all__ = ["ALGORITHM", "DEFAULT_TTL_SECONDS", "InvalidToken", "JwtTokens", "decode", "issue"]


def issue(secret: str, account: dict, ttl_seconds: int = DEFAULT_TTL_SECONDS,
          now: datetime | None = None) -> str:
    if not secret:
        raise ValueError("no token secret configured")
    issued = int((now or datetime.now(UTC)).timestamp())
    claims = {"sub": account["id"], "username": account["username"], "role": account["role"],
              "iat": issued, "exp": issued + int(ttl_seconds), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str) -> dict:
    try:
        return access_tokens.decode(secret, token)
    except access_tokens.TokenRejected as exc:
        raise InvalidToken(str(exc)) from exc


class JwtTokens:
    """The ``Tokens`` port from the service's configuration (``TOKEN_SECRET``, ``TOKEN_TTL_SECONDS``).

    Issuing needs a secret (a missing one is a configuration fault); without one every token is refused.
    """

    def __init__(self, config: Mapping):
        self.config = config

    @property
    def ttl_seconds(self) -> int:
        return int(self.config.get("TOKEN_TTL_SECONDS", DEFAULT_TTL_SECONDS))

    def issue(self, account: dict, now: datetime) -> str:
        return issue(self.config["TOKEN_SECRET"], account, ttl_seconds=self.ttl_seconds, now=now)

    def decode(self, token: str) -> dict:
        return decode(self.config.get("TOKEN_SECRET", ""), token)
