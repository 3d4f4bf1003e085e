"""identity's events into the members read model, and the actor's authority (app/members.py)."""
import uuid
from datetime import UTC, datetime

import pytest

from hgrip_backups.app import institution_views, members
from hgrip_kernel.envelope import Envelope
from hgrip_kernel.errors import Forbidden, NotFound


def identity_event(event_type, stream_id, version, data):
    return Envelope(event_id=str(uuid.uuid4()), event_type=event_type, schema_version=1, source="identity",
                    stream_type="account", stream_id=stream_id, stream_version=version,
                    occurred_at=datetime.now(UTC), actor=None, correlation_id="req-identity",
                    causation_id=None, data=data)


def account(version=1, **changes):
    data = {"account_id": "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10", "username": "liuxh", "name": "刘晓寒",
            "mobile": "13800138000", "role": "unit_admin", "institution": "NGDC", "unit": "U1",
            "employed": True, "authorised": False, "authorised_at": None, **changes}
    event_type = "AccountProvisioned" if version == 1 else "AccountUpdated"
    return identity_event(event_type, f"account-{data['account_id']}", version, data)


def test_account_events_move_the_row_forward_only(app):
    v1, v2 = account(), account(version=2, name="刘晓寒二")
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_UPDATED, v2)
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_PROVISIONED, v1)
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_PROVISIONED, v1)
    row = app.members.get_member(None, v1.data["account_id"])
    assert row["name"] == "刘晓寒二" and row["version"] == 2 and len(row["mobile_hash"]) == 64
    applied = [fields.get("applied") for _, event, fields in app.log.lines if event == "member_projection_applied"]
    assert applied == [True, False] and app.log.events()[-1] == "duplicate_event_ignored"


def test_institution_events_and_the_administrator_they_make(app):
    data = {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False,
            "units": [{"code": "U1", "name": "数据库部"}]}
    members.institution_changed(app.ports, app.request, members.CONSUMER_INSTITUTION_REGISTERED,
                                identity_event("InstitutionRegistered", "institution-NGDC", 1, data))
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_PROVISIONED, account())
    admin = members.institution_admin(app.ports, account().data["account_id"])
    assert (admin.role, admin.institution_code, admin.unit_code) == ("unit_admin", "NGDC", "U1")
    page = institution_views.institution_members(app.ports, admin.account_id, {"page": 1, "page_size": 20})
    assert page["total"] == 0 and app.institution.asked[-1][:2] == ("members", admin)


def test_an_account_not_known_yet_is_asked_of_identity(app):
    account_id = str(uuid.uuid4())
    app.identity.accounts[account_id] = {"id": account_id, "role": "natural_person",
                                         "institution": {"code": "NGDC"}, "unit": {"code": "U1"}}
    with pytest.raises(Forbidden) as refused:
        institution_views.institution_backups(app.ports, account_id, {})
    assert refused.value.code == "institution_admins_only"
    with pytest.raises(NotFound) as refused:
        institution_views.institution_backups(app.ports, str(uuid.uuid4()), {})
    assert refused.value.code == "account_not_found"
    with pytest.raises(Forbidden):
        institution_views.institution_backups(app.ports, None, {})



def test_v2_account_events_with_an_email_are_read_like_v1(app):
    """identity writes AccountProvisioned/AccountUpdated v2 (``email`` added) since accounts have an
    e-mail; both versions pass the contract check consumers run and fold into the same member row."""
    from dataclasses import replace

    from hgrip_kernel.contracts import registry
    v1 = account(real_name_verified=True)
    v2 = replace(account(version=2, real_name_verified=True, name="刘晓寒二",
                         email="liuxiaohan@ngdc-demo.example.cn", changed=["email", "name"]), schema_version=2)
    registry.validate("identity", v1.event_type, 1, v1.data)
    registry.validate("identity", v2.event_type, 2, v2.data)
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_PROVISIONED, v1)
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_UPDATED, v2)
    row = app.members.get_member(None, v1.data["account_id"])
    assert row["name"] == "刘晓寒二" and row["version"] == 2


def test_v3_account_events_carry_the_hash_older_ones_are_hashed_alike(app):
    """identity publishes AccountProvisioned/AccountUpdated v3 (``mobile_hash``, never the number);
    a v1/v2 event still queued from before is hashed on reading, to the same member row."""
    from dataclasses import replace

    from hgrip_kernel.contracts import registry
    from hgrip_kernel.personal_data import mobile_hash
    clear = account(real_name_verified=True)
    expected = mobile_hash(app.ports.secret, "13800138000")
    v3 = replace(account(version=2, real_name_verified=True, email=None, changed=["name"], name="刘晓寒二"),
                 schema_version=3)
    v3 = replace(v3, data={**{k: v for k, v in v3.data.items() if k != "mobile"}, "mobile_hash": expected})
    registry.validate("identity", v3.event_type, 3, v3.data)
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_PROVISIONED, clear)
    assert app.members.get_member(None, clear.data["account_id"])["mobile_hash"] == expected
    members.account_changed(app.ports, app.request, members.CONSUMER_ACCOUNT_UPDATED, v3)
    row = app.members.get_member(None, clear.data["account_id"])
    assert (row["name"], row["mobile_hash"], row["version"]) == ("刘晓寒二", expected, 2)
