"""The access token's own checks, done in the gateway: signature, algorithm and expiry.

Identity signs the tokens (HS256 with the platform's ``TOKEN_SECRET``, hgrip_identity.adapters.tokens);
the gateway holds the same secret, so a forged, tampered, ``alg: none`` or expired token is refused
here without asking anyone. Whether the account may still use it is identity's answer (accounts.py).
"""
import time

from hgrip_kernel import access_tokens
from hgrip_kernel.access_tokens import invalid_token

MAX_REMEMBERED = 20_000  # tokens in use within their lifetime; beyond it the memory starts over


def verified_claims(secret: str, token: str) -> dict:
    """The claims of a token identity signed and that has not expired; else identity's invalid_token."""
    try:
        return access_tokens.decode(secret, token)
    except access_tokens.TokenRejected:
        raise invalid_token() from None


class VerifiedTokens:
    """``verified_claims`` once per token, not per request (a session sends the same token every time):
    the claims are remembered by the token's exact text, so any other text — a changed signature or
    payload — is verified anew; the expiry is checked again on every use."""

    def __init__(self, secret: str, clock=time.time, max_remembered: int = MAX_REMEMBERED):
        self.secret = secret
        self.clock = clock
        self.max_remembered = max_remembered
        self._claims: dict[str, dict] = {}

    def claims(self, token: str) -> dict:
        claims = self._claims.get(token)
        if claims is None:
            claims = verified_claims(self.secret, token)
            if len(self._claims) >= self.max_remembered:
                self._claims.clear()
            self._claims[token] = claims
        if self.clock() >= claims["exp"]:  # as PyJWT: expired from the second ``exp`` names
            self._claims.pop(token, None)
            raise invalid_token()
        return claims
