"""Tokens checked in the gateway (tokens.py): HS256 with the platform's secret only, every required
claim, the expiry on every use even once the token's claims are remembered."""
import time

import jwt
import pytest

from hgrip_gateway.tokens import VerifiedTokens, verified_claims
from hgrip_kernel.errors import Unauthorized

SECRET = "gateway-tokens-unit-test-secret-0123456789"


def token(secret: str = SECRET, algorithm: str = "HS256", **claims) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "acc-1", "iat": now, "exp": now + 3600, "jti": "j", **claims}, secret,
                      algorithm=algorithm)


def refused(check, text: str) -> bool:
    with pytest.raises(Unauthorized) as caught:
        check(text)
    return caught.value.code == "invalid_token"


def test_only_identity_signed_unexpired_complete_tokens_pass():
    assert verified_claims(SECRET, token())["sub"] == "acc-1"
    good = token()
    header, payload, signature = good.split(".")
    forged = jwt.encode({"sub": "acc-2", "iat": 0, "exp": 2**32, "jti": "j"}, SECRET)
    for bad in (token(exp=int(time.time()) - 1), token(secret="another-secret-that-is-long-enough-too"),
                jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32, "jti": "j"}, None, algorithm="none"),
                f"{header}.{forged.split('.')[1]}.{signature}", good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
                jwt.encode({"sub": "acc-1", "iat": 0, "exp": 2**32}, SECRET), "not-a-token"):
        assert refused(lambda text: verified_claims(SECRET, text), bad)
    assert refused(lambda text: verified_claims("", text), good)  # no secret: nothing passes


def test_remembered_claims_still_expire_and_other_texts_are_verified_anew():
    now = [1_000_000.0]
    tokens = VerifiedTokens(SECRET, clock=lambda: now[0])
    good = jwt.encode({"sub": "acc-1", "iat": 0, "exp": 1_000_010, "jti": "j"}, SECRET)
    with pytest.MonkeyPatch.context() as patch:  # PyJWT's own clock: the token is fresh when first seen
        patch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(now[0]))
        assert tokens.claims(good)["sub"] == "acc-1"
    assert tokens.claims(good)["sub"] == "acc-1"  # remembered: PyJWT's clock no longer matters
    assert refused(tokens.claims, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    now[0] = 1_000_010.0
    assert refused(tokens.claims, good)
    assert refused(tokens.claims, good)  # forgotten, and refused by PyJWT itself now


class _FrozenDatetime:
    """``datetime`` of jwt.api_jwt with ``now`` fixed at a Unix time."""

    def __init__(self, at: float):
        from datetime import UTC, datetime
        self._now = datetime.fromtimestamp(at, UTC)

    def now(self, tz=None):
        return self._now

    def __getattr__(self, name):
        from datetime import datetime
        return getattr(datetime, name)
