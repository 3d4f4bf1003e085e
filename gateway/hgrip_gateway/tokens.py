"""The access token's own checks, done in the gateway: signature, algorithm and expiry.

Identity signs the tokens (HS256 with the platform's ``TOKEN_SECRET``, hgrip_identity.adapters.tokens);
the gateway holds the same secret, so a forged, tampered, ``alg: none`` or expired token is refused
here without asking anyone. Whether the account may still use it is identity's answer (accounts.py).
"""
import jwt

from .errors import GatewayError

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti"]


def verified_claims(secret: str, token: str) -> dict:
    """The claims of a token identity signed and that has not expired; else invalid_token."""
    if not secret:  # never accept tokens signed with ""
        raise GatewayError("invalid_token")
    try:
        # algorithms is pinned: a token claiming "none" or another algorithm is refused.
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.PyJWTError:
        raise GatewayError("invalid_token") from None
