"""Wrong passwords through the running IdentityService: they slow nobody down here (the gateway's rate
limits do, per address and account) and never lock the owner out; an account that left is refused."""
import pytest

from hgrip_identity.domain import account_id_for, account_stream_id
from hgrip_kernel.errors import Unauthorized


def provision(cluster, ngdc, zhang):
    cluster.identity.upsert_institution(ngdc)
    return cluster.identity.upsert_account(zhang)["account"]


def test_wrong_passwords_lock_nobody_out_and_write_no_event(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        provision(cluster, ngdc, zhang)
        token = cluster.identity.login("zhangxh", "Corr3ct-horse")["access_token"]
        before = [r.event_type for r in identity.events(account_stream_id(account_id_for("zhangxh")))]
        for _ in range(10):
            with pytest.raises(Unauthorized) as info:
                cluster.identity.login("zhangxh", "wrong-password-1")
            assert info.value.code == "invalid_credentials"
        assert cluster.identity.authenticate(token)["username"] == "zhangxh"      # the open session
        assert cluster.identity.login("zhangxh", "Corr3ct-horse")["access_token"]  # the owner
    types = [r.event_type for r in identity.events(account_stream_id(account_id_for("zhangxh")))]
    assert types == [*before, "LoginSucceeded"]
    assert "AccountLocked" not in types and "LoginFailed" not in types


def test_an_account_that_left_stops_working_at_once(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        provision(cluster, ngdc, zhang)
        token = cluster.identity.login("zhangxh", "Corr3ct-horse")["access_token"]
        cluster.identity.upsert_account(dict(zhang, employed=False))
        with pytest.raises(Unauthorized) as issued:
            cluster.identity.authenticate(token)
        with pytest.raises(Unauthorized) as fresh:
            cluster.identity.login("zhangxh", "Corr3ct-horse")
        with pytest.raises(Unauthorized) as guess:
            cluster.identity.login("zhangxh", "wrong-password-1")
    assert issued.value.code == fresh.value.code == "account_inactive"
    assert guess.value.code == "invalid_credentials"
