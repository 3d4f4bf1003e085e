"""Login with lockout (app/login.py) over in-memory fakes."""
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_identity.app.login import login
from hgrip_identity.app.provisioning import upsert_account, upsert_institution
from hgrip_identity.domain import LockoutPolicy, account_id_for, account_stream_id
from hgrip_kernel.errors import Locked, Unauthorized

NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
POLICY = LockoutPolicy()


@pytest.fixture
def provisioned(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    upsert_account(world.ports, world.request, zhang_payload)
    world.request.log.lines.clear()
    return world


def attempt(world, password, now=NOW, username="zhangxh"):
    return login(world.ports, world.request, POLICY, username, password,
                 now=now)


def stream(world):
    return world.store.read_stream(account_stream_id(account_id_for("zhangxh")))


def test_the_right_password_gives_a_token_for_the_account(provisioned):
    done = attempt(provisioned, "Corr3ct-horse")
    assert done.expires_in == 7200 and done.account.username == "zhangxh"
    claims = provisioned.tokens.decode(done.access_token)
    assert claims["sub"] == account_id_for("zhangxh") and claims["role"] == "natural_person"
    last = stream(provisioned)[-1]
    assert last.event_type == "LoginSucceeded" and last.data["first_login"] is True
    assert last.actor == account_id_for("zhangxh")
    assert provisioned.request.log.events() == ["login_succeeded"]


def test_unknown_user_and_wrong_password_answer_alike(provisioned):
    with pytest.raises(Unauthorized) as wrong:
        attempt(provisioned, "wrong-password-1")
    verified = provisioned.passwords.verified
    with pytest.raises(Unauthorized) as unknown:
        attempt(provisioned, "wrong-password-1", username="nobody")
    assert wrong.value.args == unknown.value.args and wrong.value.code == "invalid_credentials"
    assert provisioned.passwords.verified == verified + 1  # the unknown user costs a verification too
    assert [e.event_type for e in stream(provisioned)][-1] == "LoginFailed"


def test_five_failures_lock_and_the_locking_failure_answers_like_the_others(provisioned):
    for _ in range(5):
        with pytest.raises(Unauthorized) as info:
            attempt(provisioned, "wrong-password-1")
        assert info.value.code == "invalid_credentials"
    types = [e.event_type for e in stream(provisioned)]
    assert types.count("LoginFailed") == 5 and types[-1] == "AccountLocked"
    assert ("warning", "account_locked", {"account_id": account_id_for("zhangxh"),
                                          "locked_until": (NOW + timedelta(minutes=15)).isoformat()}) \
        in provisioned.request.log.lines
    # While locked even the right password is refused, says until when, and records nothing.
    with pytest.raises(Locked) as locked:
        attempt(provisioned, "Corr3ct-horse", now=NOW + timedelta(minutes=14))
    assert locked.value.code == "account_locked"
    assert locked.value.details == {"locked_until": (NOW + timedelta(minutes=15)).isoformat()}
    assert [e.event_type for e in stream(provisioned)] == types
    # Once the lock has run out the right password works again.
    assert attempt(provisioned, "Corr3ct-horse", now=NOW + timedelta(minutes=15)).access_token


def test_a_success_resets_the_count(provisioned):
    for _ in range(4):
        with pytest.raises(Unauthorized):
            attempt(provisioned, "wrong-password-1")
    attempt(provisioned, "Corr3ct-horse")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            attempt(provisioned, "wrong-password-1")
    assert "AccountLocked" not in [e.event_type for e in stream(provisioned)]


def test_a_lock_taken_by_a_concurrent_attempt_is_answered_as_a_lock(provisioned):
    """The read model was read before another attempt's lock committed: the stream has the last word."""
    policy = LockoutPolicy(max_failures=1)
    with pytest.raises(Unauthorized):
        login(provisioned.ports, provisioned.request, policy, "zhangxh", "wrong-password-1", now=NOW)
    provisioned.records.lock(account_id_for("zhangxh"), None)  # the read model has not seen it yet
    with pytest.raises(Locked):
        attempt(provisioned, "Corr3ct-horse")


def test_an_account_without_password_cannot_log_in(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    upsert_account(world.ports, world.request, dict(zhang_payload, password=None))
    with pytest.raises(Unauthorized) as info:
        attempt(world, "Corr3ct-horse")
    assert info.value.code == "invalid_credentials"
