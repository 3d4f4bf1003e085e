"""The access token's rule, written once for identity (which signs and checks) and the gateway (which
checks every request itself): JWT with HS256 and the platform's ``TOKEN_SECRET``, the algorithm pinned
(``alg: none`` or any other is refused), these claims required; and the one refusal a client gets,
whichever of the two refused."""
import jwt

from .errors import Unauthorized

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "iat", "exp", "jti")


class TokenRejected(Exception):
    """Why a token was refused: for the logs, never for the client (it gets ``invalid_token()``)."""


def decode(secret: str, token: str) -> dict:
    """The claims of a token signed with ``secret`` and not expired; else TokenRejected."""
    if not secret:
        raise TokenRejected("no token secret configured")  # never accept tokens signed with ""
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": list(REQUIRED_CLAIMS)})
    except jwt.PyJWTError as exc:
        raise TokenRejected(str(exc)) from exc


def invalid_token() -> Unauthorized:
    return Unauthorized("invalid_token", "The access token is invalid or has expired; please log in again.",
                        "访问令牌无效或已过期，请重新登录。")
