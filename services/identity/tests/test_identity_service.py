"""IdentityService over real RPC, PostgreSQL and RabbitMQ: health, provisioning, reads."""
import uuid

import pytest

from hgrip_identity.domain import account_id_for, account_stream_id, institution_stream_id
from hgrip_kernel.errors import InvalidInput, NotFound


def test_health_queries_the_database(identity):
    with identity.rpc() as cluster:
        assert cluster.identity.health() == {"service": "identity", "ok": True, "database": "ok"}


def test_institution_provisioning_is_idempotent(identity, ngdc):
    with identity.rpc() as cluster:
        first = cluster.identity.upsert_institution(ngdc)
        again = cluster.identity.upsert_institution(dict(ngdc, units=list(reversed(ngdc["units"]))))
        renamed = cluster.identity.upsert_institution(dict(ngdc, name="NGDC"))
    assert first == {"institution": ngdc, "changed": True}
    assert again == {"institution": ngdc, "changed": False}
    assert renamed["changed"] is True and renamed["institution"]["name"] == "NGDC"
    stored = identity.events(institution_stream_id("NGDC"))
    assert [row.event_type for row in stored] == ["InstitutionRegistered", "InstitutionUpdated"]
    assert stored[0].actor == "hgrg"


def test_account_provisioning_is_idempotent_and_returns_the_account_dict(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        first = cluster.identity.upsert_account(zhang)
        again = cluster.identity.upsert_account(zhang)
    account_id = account_id_for("zhangxh")
    assert first["changed"] is True and again["changed"] is False
    assert first["account"] == again["account"] == {
        "id": account_id, "username": "zhangxh", "name": "张晓寒", "role": "natural_person",
        "mobile": "138****5678",
        "institution": {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False},
        "unit": {"code": "U1", "name": "数据库部"},
        "real_name_verified": True, "authorised": True,
        "authorised_at": "2023-06-27T03:26:27+00:00",  # HGRG's offset-less time is Beijing time
        "employed": True, "email": None,
    }
    # The same payload twice: exactly one provisioning (and one password) event.
    assert [r.event_type for r in identity.events(account_stream_id(account_id))] == \
        ["AccountProvisioned", "PasswordSet"]


def test_a_different_payload_records_one_update(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        cluster.identity.upsert_account(zhang)
        moved = cluster.identity.upsert_account(dict(zhang, unit="U2", employed=False))
        new_password = cluster.identity.upsert_account(dict(zhang, unit="U2", employed=False,
                                                            password="An0ther-secret"))
    assert moved["changed"] is True
    assert moved["account"]["unit"] == {"code": "U2", "name": "技术部"} and moved["account"]["employed"] is False
    assert new_password["changed"] is True
    rows = identity.events(account_stream_id(account_id_for("zhangxh")))
    assert [r.event_type for r in rows] == ["AccountProvisioned", "PasswordSet", "AccountUpdated", "PasswordSet"]
    assert rows[2].data["changed"] == ["employed", "unit"]


def test_the_email_is_stored_answered_by_get_account_and_changed_by_a_later_put(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        first = cluster.identity.upsert_account(dict(zhang, email="zhangxiaohan@ngdc-demo.example.cn"))
        changed = cluster.identity.upsert_account(dict(zhang, email="zxh@ngdc-demo.example.cn"))
        account = cluster.identity.get_account(first["account"]["id"])
    assert first["account"]["email"] == "zhangxiaohan@ngdc-demo.example.cn"
    assert changed["changed"] is True and account["email"] == "zxh@ngdc-demo.example.cn"
    rows = [r for r in identity.events(account_stream_id(account_id_for("zhangxh")))
            if r.event_type.startswith("Account")]
    assert [(r.event_type, r.schema_version) for r in rows] == [("AccountProvisioned", 3), ("AccountUpdated", 3)]
    assert rows[1].data["changed"] == ["email"] and rows[1].data["email"] == "zxh@ngdc-demo.example.cn"


def test_authorised_without_time_gets_now_once(identity, ngdc, zhang):
    payload = dict(zhang, authorised_at=None)
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        first = cluster.identity.upsert_account(payload)
        again = cluster.identity.upsert_account(payload)
    assert first["account"]["authorised_at"] is not None
    assert again == dict(first, changed=False)


def test_concurrent_first_provisioning_records_one_account(identity, ngdc, zhang):
    payload = dict(zhang, password=None)
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        replies = [cluster.identity.upsert_account.call_async(payload) for _ in range(6)]
        results = [reply.result() for reply in replies]
    assert sum(result["changed"] for result in results) == 1
    assert identity.count_events("AccountProvisioned") == 1


@pytest.mark.parametrize("change,field", [
    ({"institution": "NOPE"}, "institution"),
    ({"unit": "U9"}, "unit"),
    ({"role": "legal_person"}, "unit"),          # a legal person takes no unit
    ({"role": "unit_admin", "unit": None}, "unit"),
    ({"institution": None}, "institution"),
    ({"mobile": "555-1234"}, "mobile"),
    ({"password": "weak"}, "password"),
    ({"surprise": True}, "surprise"),
])
def test_bad_account_payload_is_invalid_input(identity, ngdc, zhang, change, field):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        with pytest.raises(InvalidInput) as info:
            cluster.identity.upsert_account(dict(zhang, **change))
    assert info.value.code == "invalid_input"
    assert field in info.value.details
    assert info.value.message and info.value.message_zh
    assert identity.count_events("AccountProvisioned") == 0


def test_bad_institution_payload_is_invalid_input(identity):
    with identity.rpc() as cluster, pytest.raises(InvalidInput) as info:
        cluster.identity.upsert_institution({"code": "has space", "name": "", "units": "no"})
    assert set(info.value.details) == {"code", "name", "units"}


def test_operator_without_institution(identity):
    with identity.rpc() as cluster:
        result = cluster.identity.upsert_account({"username": "ops", "name": "运维", "role": "operator",
                                                  "password": "0perator-pass"})
    assert result["account"]["institution"] is None and result["account"]["unit"] is None
    assert result["account"]["mobile"] is None


def test_get_account(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        created = cluster.identity.upsert_account(zhang)["account"]
        assert cluster.identity.get_account(created["id"]) == created
        with pytest.raises(NotFound) as info:
            cluster.identity.get_account(str(uuid.uuid4()))
        assert info.value.code == "account_not_found"
        with pytest.raises(InvalidInput):
            cluster.identity.get_account("not-a-uuid")


def test_runs_on_sqlite_the_embedded_default(sqlite_url, service_config, start_service, rpc_proxy, ngdc, zhang):
    from hgrip_identity.entrypoints.service import IdentityService
    from hgrip_kernel.cli.migrate import upgrade

    upgrade("identity", sqlite_url)  # the same Alembic revision as on PostgreSQL
    config = service_config("identity", sqlite_url)
    config["TOKEN_SECRET"] = "sqlite-smoke-test-secret-0123456789abcdef"
    start_service(IdentityService, config)
    with rpc_proxy() as cluster:
        assert cluster.identity.health()["database"] == "ok"
        cluster.identity.upsert_institution(ngdc)
        assert cluster.identity.upsert_account(zhang)["changed"] is True
        assert cluster.identity.upsert_account(zhang)["changed"] is False
        token = cluster.identity.login("zhangxh", "Corr3ct-horse")["access_token"]
        assert cluster.identity.authenticate(token)["authorised_at"] == "2023-06-27T03:26:27+00:00"
