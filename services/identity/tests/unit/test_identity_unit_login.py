"""Login (app/login.py) over in-memory fakes: no lockout, so a stranger's guesses cost the owner nothing."""
from datetime import UTC, datetime

import pytest

from hgrip_identity.app.login import login
from hgrip_identity.app.provisioning import upsert_account, upsert_institution
from hgrip_identity.domain import account_id_for, account_stream_id
from hgrip_kernel.errors import Unauthorized

NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def provisioned(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    upsert_account(world.ports, world.request, zhang_payload)
    world.request.log.lines.clear()
    return world


def attempt(world, password, now=NOW, username="zhangxh"):
    return login(world.ports, world.request, username, password, now=now)


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


def test_a_strangers_guesses_write_nothing_and_never_keep_the_owner_out(provisioned):
    before = [e.event_type for e in stream(provisioned)]
    for _ in range(50):
        with pytest.raises(Unauthorized) as info:
            attempt(provisioned, "wrong-password-1")
        assert info.value.code == "invalid_credentials"
    assert [e.event_type for e in stream(provisioned)] == before   # a log line each, no event
    assert provisioned.request.log.events().count("login_failed") == 50
    assert attempt(provisioned, "Corr3ct-horse").access_token      # the owner, right after


def test_an_account_that_left_is_refused_once_its_password_is_right(provisioned, zhang_payload):
    upsert_account(provisioned.ports, provisioned.request, dict(zhang_payload, employed=False))
    with pytest.raises(Unauthorized) as wrong:
        attempt(provisioned, "wrong-password-1")
    assert wrong.value.code == "invalid_credentials"          # a guesser learns nothing new
    with pytest.raises(Unauthorized) as right:
        attempt(provisioned, "Corr3ct-horse")
    assert right.value.code == "account_inactive" and "离开" in right.value.message_zh
    assert stream(provisioned)[-1].event_type != "LoginSucceeded"


def test_an_account_without_password_cannot_log_in(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    upsert_account(world.ports, world.request, dict(zhang_payload, password=None))
    with pytest.raises(Unauthorized) as info:
        attempt(world, "Corr3ct-horse")
    assert info.value.code == "invalid_credentials"
