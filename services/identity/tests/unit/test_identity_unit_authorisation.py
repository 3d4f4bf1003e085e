"""Token checks and account reads (app/authorisation.py) over in-memory fakes."""
import uuid
from datetime import UTC, datetime

import pytest

from hgrip_identity.app.authorisation import authenticate, get_account
from hgrip_identity.app.login import login
from hgrip_identity.app.provisioning import upsert_account, upsert_institution
from hgrip_identity.domain import account_id_for
from hgrip_kernel.errors import NotFound, Unauthorized

NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def token(world, ngdc_payload, zhang_payload):
    upsert_institution(world.ports, world.request, ngdc_payload)
    upsert_account(world.ports, world.request, zhang_payload)
    return login(world.ports, world.request, "zhangxh", "Corr3ct-horse").access_token


def test_a_valid_token_gives_its_account(world, token):
    assert authenticate(world.ports, world.request, token).id == account_id_for("zhangxh")


def test_a_bad_token_is_refused_and_logged(world, token):
    with pytest.raises(Unauthorized) as info:
        authenticate(world.ports, world.request, "not.a.token")
    assert info.value.code == "invalid_token"
    assert ("info", "token_refused", {"reason": "Signature verification failed"}) in world.request.log.lines


def test_a_token_of_an_account_that_is_gone_is_refused(world, token):
    world.records.accounts.clear()
    with pytest.raises(Unauthorized) as info:
        authenticate(world.ports, world.request, token)
    assert info.value.code == "invalid_token"


def test_failed_logins_never_refuse_a_token(world, token):
    for _ in range(20):
        with pytest.raises(Unauthorized):
            login(world.ports, world.request, "zhangxh", "wrong-password-1", now=NOW)
    assert authenticate(world.ports, world.request, token).id == account_id_for("zhangxh")


def test_a_token_stops_working_once_its_account_has_left(world, token, zhang_payload):
    upsert_account(world.ports, world.request, dict(zhang_payload, employed=False))
    with pytest.raises(Unauthorized) as info:
        authenticate(world.ports, world.request, token)
    assert info.value.code == "account_inactive"
    upsert_account(world.ports, world.request, dict(zhang_payload, employed=True))   # back (HGRG's word)
    assert authenticate(world.ports, world.request, token).id == account_id_for("zhangxh")


def test_a_withdrawn_authorisation_keeps_the_sign_in(world, token, zhang_payload):
    """Not authorised is not gone: the person signs in to be told (projects refuse what it gave)."""
    upsert_account(world.ports, world.request, dict(zhang_payload, authorised=False))
    assert authenticate(world.ports, world.request, token).authorised is False


def test_get_account(world, token):
    assert get_account(world.ports, account_id_for("zhangxh")).username == "zhangxh"
    missing = str(uuid.uuid4())
    with pytest.raises(NotFound) as info:
        get_account(world.ports, missing)
    assert info.value.code == "account_not_found" and info.value.details == {"account_id": missing}
