"""Signed, expiring access tokens (JWT, HS256)."""
import uuid
from datetime import UTC, datetime

import jwt

ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 7200


class InvalidToken(Exception):
    """The token is malformed, forged or expired (the caller maps it to Unauthorized)."""


def issue(secret: str, account: dict, ttl_seconds: int = DEFAULT_TTL_SECONDS,
          now: datetime | None = None) -> str:
    if not secret:
        raise ValueError("no token secret configured")
    issued = int((now or datetime.now(UTC)).timestamp())
    claims = {"sub": account["id"], "username": account["username"], "role": account["role"],
              "iat": issued, "exp": issued + int(ttl_seconds), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str) -> dict:
    if not secret:
        raise InvalidToken("no token secret configured")  # never accept tokens signed with ""
    try:
        # algorithms is pinned: a token claiming "none" or another algorithm is refused.
        return jwt.decode(token, secret, algorithms=[ALGORITHM],
                          options={"require": ["sub", "iat", "exp", "jti"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
