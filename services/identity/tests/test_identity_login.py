"""Login and tokens through the running IdentityService (guessing: test_identity_guessing.py)."""
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from hgrip_identity.adapters import tokens
from hgrip_identity.domain import account_id_for, account_stream_id
from hgrip_kernel.errors import InvalidInput, Unauthorized


def provision(cluster, ngdc, zhang):
    cluster.identity.upsert_institution(ngdc)
    return cluster.identity.upsert_account(zhang)["account"]


def test_login_returns_a_token_that_authenticate_accepts(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        account = provision(cluster, ngdc, zhang)
        result = cluster.identity.login("zhangxh", "Corr3ct-horse")
        assert result["token_type"] == "bearer" and result["expires_in"] == 7200
        assert result["account"] == account
        assert cluster.identity.authenticate(result["access_token"]) == account
    claims = jwt.decode(result["access_token"], identity.config["TOKEN_SECRET"], algorithms=["HS256"])
    assert claims["sub"] == account["id"] and claims["username"] == "zhangxh"
    assert claims["role"] == "natural_person" and claims["exp"] - claims["iat"] == 7200 and claims["jti"]
    rows = identity.events(account_stream_id(account["id"]))
    assert rows[-1].event_type == "LoginSucceeded" and rows[-1].data["first_login"] is True
    assert rows[-1].actor == account["id"]


def test_unknown_user_and_wrong_password_look_the_same(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        provision(cluster, ngdc, zhang)
        with pytest.raises(Unauthorized) as wrong:
            cluster.identity.login("zhangxh", "wrong-password-1")
        with pytest.raises(Unauthorized) as unknown:
            cluster.identity.login("nobody", "wrong-password-1")
    assert wrong.value.args == unknown.value.args
    assert wrong.value.code == "invalid_credentials"


def test_account_without_password_cannot_log_in(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        provision(cluster, ngdc, dict(zhang, password=None))
        with pytest.raises(Unauthorized) as info:
            cluster.identity.login("zhangxh", "Corr3ct-horse")
    assert info.value.code == "invalid_credentials"


def test_expired_forged_and_orphan_tokens_are_refused(identity, ngdc, zhang):
    secret = identity.config["TOKEN_SECRET"]
    with identity.rpc() as cluster:
        account = provision(cluster, ngdc, zhang)
        expired = tokens.issue(secret, account, ttl_seconds=60,
                               now=datetime.now(UTC) - timedelta(hours=3))
        forged = tokens.issue("some-other-secret-of-sufficient-length!", account)
        orphan = tokens.issue(secret, dict(account, id=account_id_for("ghost")))
        for token in (expired, forged, orphan, "not.a.token"):
            with pytest.raises(Unauthorized) as info:
                cluster.identity.authenticate(token)
            assert info.value.code == "invalid_token"
        with pytest.raises(InvalidInput):
            cluster.identity.authenticate("")


def test_short_ttl_token_expires(run_identity, ngdc, zhang):
    identity = run_identity(TOKEN_TTL_SECONDS="1")
    with identity.rpc() as cluster:
        provision(cluster, ngdc, zhang)
        result = cluster.identity.login("zhangxh", "Corr3ct-horse")
        assert result["expires_in"] == 1
        time.sleep(2.1)
        with pytest.raises(Unauthorized):
            cluster.identity.authenticate(result["access_token"])


def test_login_payload_validated(identity):
    with identity.rpc() as cluster, pytest.raises(InvalidInput) as info:
        cluster.identity.login("", None)
    assert set(info.value.details) == {"username", "password"}
