"""Legacy claims (app/claims.py) with in-memory fakes: by SMS, by an institution, at first login."""
import uuid
from datetime import UTC, datetime

import pytest

from hgrip_backups.app import claims
from hgrip_kernel.envelope import Envelope
from hgrip_kernel.errors import DomainError

REGISTRANT = {"legacy_name": "张晓寒", "legacy_mobile": "13912345678"}


@pytest.fixture
def legacy(app):
    app.institution_known(name="国家基因组科学数据中心")
    return [app.import_legacy(number) for number in ("BF2021031500012", "BF2021031500013")]


def test_an_institution_claims_for_its_delegate(app, legacy):
    admin = app.member("admin", role="unit_admin")
    delegate = app.member("zhang", name="张晓寒")
    answer = claims.institution_claim(app.ports, app.request, admin, {**REGISTRANT, "delegate_account": "zhang"})
    assert answer["count"] == 2 and answer["delegate"] == {"id": delegate, "username": "zhang", "name": "张晓寒"}
    events = app.events("BackupClaimed")
    assert [(e.data["how"], e.data["owner_id"], e.data["claimed_by"]) for e in events] == \
        [("institution", delegate, admin)] * 2
    assert all(row["owner_id"] == delegate and row["how"] == "institution" for row in app.legacy.rows.values())
    assert all(app.backups.rows[b.backup_id]["owner_id"] == delegate for b in legacy)
    with pytest.raises(DomainError) as refused:
        claims.institution_claim(app.ports, app.request, admin, {**REGISTRANT, "delegate_account": "zhang"})
    assert refused.value.code == "legacy_already_claimed"


@pytest.mark.parametrize("delegate, code", [("left", "delegate_not_employed"), ("other_unit", "member_not_found"),
                                            ("admin2", "delegate_not_natural_person")])
def test_the_delegate_rule_is_the_delegation_rule(app, legacy, delegate, code):
    admin = app.member("admin", role="unit_admin")
    app.member("left", employed=False)
    app.member("other_unit", unit="U2")
    app.member("admin2", role="unit_admin")
    with pytest.raises(DomainError) as refused:
        claims.institution_claim(app.ports, app.request, admin, {**REGISTRANT, "delegate_account": delegate})
    assert refused.value.code == code and app.events("BackupClaimed") == []


def test_a_natural_person_claims_by_sms(app, legacy):
    me = app.member("zhang", name="张晓寒")
    sent = claims.request_claim_code(app.ports, app.request, me, REGISTRANT)
    assert set(sent) == {"sent_to", "expires_at", "resend_available_at"}
    [request] = app.verification.sms_sent
    assert (request["purpose"], request["mobile"], len(request["subject"])) == ("legacy_claim", "13912345678", 64)
    with pytest.raises(DomainError):
        claims.claim_legacy(app.ports, app.request, me, {**REGISTRANT, "sms_code": "000000"})
    answer = claims.claim_legacy(app.ports, app.request, me, {**REGISTRANT, "sms_code": "482915"})
    assert answer["count"] == 2 and {c["backup_number"] for c in answer["claimed"]} == {
        "BF2021031500012", "BF2021031500013"}
    assert {e.data["how"] for e in app.events("BackupClaimed")} == {"sms"}


def test_claims_are_refused_before_any_code_is_sent(app, legacy):
    elsewhere = app.member("zhao", institution="ECMG")
    app.institution_known(code="ECMG", name="华东医学遗传研究院")
    admin = app.member("admin", role="unit_admin")
    cases = [(elsewhere, REGISTRANT, "claim_other_institution"),
             (app.member("li"), {**REGISTRANT, "legacy_mobile": "13900000000"}, "legacy_registrant_not_found"),
             (admin, REGISTRANT, "natural_persons_only")]
    for actor, values, code in cases:
        with pytest.raises(DomainError) as refused:
            claims.request_claim_code(app.ports, app.request, actor, values)
        assert refused.value.code == code
    assert app.verification.sms_sent == []


def login(account_id, first_login=True):
    return Envelope(event_id=str(uuid.uuid4()), event_type="LoginSucceeded", schema_version=1, source="identity",
                    stream_type="account", stream_id=f"account-{account_id}", stream_version=2,
                    occurred_at=datetime.now(UTC), actor=account_id, correlation_id="req-login",
                    causation_id=None, data={"account_id": account_id, "first_login": first_login})


def test_the_first_login_attaches_the_registrants_backups(app, legacy):
    me = app.member("zhang", name="张晓寒", mobile="139 1234 5678")
    claims.login_succeeded(app.ports, app.request, login(me, first_login=False))
    assert app.events("BackupClaimed") == []
    event = login(me)
    claims.login_succeeded(app.ports, app.request, event)
    claims.login_succeeded(app.ports, app.request, event)
    claimed = app.events("BackupClaimed")
    assert [(e.data["how"], e.causation_id) for e in claimed] == [("auto", event.event_id)] * 2
    assert app.log.events() == ["legacy_backups_claimed", "duplicate_event_ignored"]


def test_a_login_before_the_member_is_known_is_retried(app, legacy):
    with pytest.raises(claims.MemberNotKnownYet):
        claims.login_succeeded(app.ports, app.request, login(str(uuid.uuid4())))
    assert app.store.inbox == set()
