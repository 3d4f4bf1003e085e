"""Bearer authentication: the token is checked by identity on every request (no local cache,
so a revoked or expired token stops working at once)."""
from werkzeug.wrappers import Request

from .calls import call
from .errors import GatewayError

CHALLENGE = 'Bearer realm="hgrip"'


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``; unauthenticated if absent, invalid_token if malformed."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise GatewayError("unauthenticated")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise GatewayError("invalid_token")
    return token


def authenticate(identity, request: Request, timeout: float) -> dict:
    """The account behind the request's token (identity raises Unauthorized when it is not valid)."""
    account = call(identity.authenticate, bearer_token(request), timeout=timeout)
    if not account:
        raise GatewayError("invalid_token")
    return account
