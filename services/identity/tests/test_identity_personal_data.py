"""Mobiles in identity's database (docs/security.md): sealed at rest, only the keyed hash in events and
the outbox; migration 0003 seals an existing database's clear mobiles and rewrites its old events;
``hgrip identity rotate-keys`` reseals them under a new key."""
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import make_url

from hgrip_identity.domain import Account, account_id_for, account_stream_id
from hgrip_kernel.cli.migrate import upgrade
from hgrip_kernel.personal_data import Cipher, Sealed, mobile_hash, new_key_entry
from hgrip_kernel.store import EventStore
from hgrip_kernel.store.tables import events

OLD_MOBILE, MOBILE = "13700001111", "13812345678"
HMAC_KEY = "migration-test-hmac-key"
HGRIP = str(Path(sys.executable).parent / "hgrip")


def dump(url: str) -> str:
    """Every row of every table, as text: what a copy of the database would reveal."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return "\n".join(str(row) for table in tables
                             for row in connection.execute(text(f'SELECT * FROM "{table}"')))
    finally:
        engine.dispose()


def test_provisioning_keeps_no_clear_mobile_in_the_database(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        answer = cluster.identity.upsert_account(zhang)
        changed = cluster.identity.upsert_account(dict(zhang, mobile="13900002222"))
        account = cluster.identity.get_account(answer["account"]["id"])
    assert answer["account"]["mobile"] == "138****5678" and account["mobile"] == "139****2222"
    assert changed["changed"] is True
    stored = dump(identity.url)
    assert MOBILE not in stored and "13900002222" not in stored
    rows = identity.events(account_stream_id(account_id_for("zhangxh")))
    updated = [r for r in rows if r.event_type == "AccountUpdated"][0]
    assert updated.data["changed"] == ["mobile_hash"]
    assert updated.data["mobile_hash"] == mobile_hash(identity.config["MOBILE_HASH_SECRET"], "13900002222")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path, pg_admin_url):
    """An empty database (nothing migrated yet) of each kind the platform runs on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'identity.sqlite'}"
        return
    name = f"hgrip_t_{uuid.uuid4().hex[:12]}"
    admin = sa_create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _old_event(event_type, version, stream_version, data):
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "schema_version": version,
            "source": "identity", "stream_type": "account", "stream_id": account_stream_id(account_id_for("zhangxh")),
            "stream_version": stream_version, "occurred_at": datetime(2025, 1, 1, tzinfo=UTC), "actor": "hgrg",
            "correlation_id": "old", "causation_id": None, "data": data}


def _seed_clear_database(url):
    """What identity at revision 0002 wrote: the clear mobile in the accounts row and in v1/v2 events."""
    account_id = account_id_for("zhangxh")
    profile = {"account_id": account_id, "username": "zhangxh", "name": "张晓寒", "mobile": OLD_MOBILE,
               "role": "natural_person", "institution": None, "unit": None, "real_name_verified": True,
               "authorised": False, "authorised_at": None, "employed": True}
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(events.insert(), [
            _old_event("AccountProvisioned", 1, 1, profile),
            _old_event("AccountUpdated", 2, 2, {**profile, "mobile": MOBILE, "email": "zxh@big.ac.cn",
                                               "changed": ["email", "mobile"]})])
        connection.execute(text(
            "INSERT INTO accounts (id, username, name, mobile, role, real_name_verified, authorised, employed,"
            " email, failures, version, updated_at) VALUES (:id, 'zhangxh', '张晓寒', :mobile, 'natural_person',"
            " true, false, true, 'zxh@big.ac.cn', 0, 2, :now)"),
            {"id": account_id, "mobile": MOBILE, "now": datetime(2025, 1, 1, tzinfo=UTC)})
        connection.execute(text("INSERT INTO credentials (account_id, password_hash, updated_at)"
                                " VALUES (:id, 'argon2-hash', :now)"), {"id": account_id, "now": datetime.now(UTC)})
    engine.dispose()


def test_migration_0003_seals_clear_mobiles_and_rewrites_old_events_then_rotation_reseals(
        empty_url, monkeypatch):
    first_key, second_key = new_key_entry("2026"), new_key_entry("2027")
    monkeypatch.setenv("HGRIP_PERSONAL_DATA_HMAC_KEY", HMAC_KEY)
    monkeypatch.setenv("HGRIP_PERSONAL_DATA_KEYS", first_key)
    upgrade("identity", empty_url, "0002")
    _seed_clear_database(empty_url)
    assert MOBILE in dump(empty_url)

    upgrade("identity", empty_url)          # to head, as `hgrip migrate` does

    stored = dump(empty_url)
    assert MOBILE not in stored and OLD_MOBILE not in stored
    engine = create_engine(empty_url)
    try:
        with engine.connect() as connection:
            assert "mobile" not in {c["name"] for c in inspect(connection).get_columns("accounts")}
            # SQLite's foreign keys are on: dropping the column must not cascade into the credentials.
            assert connection.execute(text("SELECT count(*) FROM credentials")).scalar_one() == 1
            (key_id, token, masked), = connection.execute(
                text("SELECT key_id, mobile_sealed, mobile_masked FROM account_mobiles")).all()
        assert (key_id, masked, Cipher(first_key).open(Sealed(key_id, token))) == ("2026", "138****5678", MOBILE)
        # The rewritten stream is v3, valid on read, and folds to the hash of the newest number.
        stream = EventStore(engine, source="identity").read_stream(account_stream_id(account_id_for("zhangxh")))
        assert [(e.event_type, e.schema_version) for e in stream] == [("AccountProvisioned", 3), ("AccountUpdated", 3)]
        assert stream[0].data["mobile_hash"] == mobile_hash(HMAC_KEY, OLD_MOBILE) and stream[0].data["email"] is None
        assert stream[1].data["changed"] == ["email", "mobile_hash"]
        account = Account.rehydrate(stream[0].stream_id, stream)
        assert account.profile["mobile_hash"] == mobile_hash(HMAC_KEY, MOBILE)
    finally:
        engine.dispose()

    # Rotation: the new key first, the old one still listed; then the old one can go.
    rotated = subprocess.run([HGRIP, "identity", "rotate-keys", "--database-url", empty_url],
                             env={**_env(), "HGRIP_PERSONAL_DATA_KEYS": f"{second_key},{first_key}"},
                             capture_output=True, text=True, timeout=60)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "resealed 1 mobile(s) under key '2027'; mobiles by key: 2027: 1" in rotated.stdout
    engine = create_engine(empty_url)
    try:
        with engine.connect() as connection:
            (key_id, token), = connection.execute(text("SELECT key_id, mobile_sealed FROM account_mobiles")).all()
    finally:
        engine.dispose()
    assert Cipher(second_key).open(Sealed(key_id, token)) == MOBILE
    # A key list that lost the key in use is refused, nothing changed.
    refused = subprocess.run([HGRIP, "identity", "rotate-keys", "--database-url", empty_url],
                             env={**_env(), "HGRIP_PERSONAL_DATA_KEYS": new_key_entry("2028")},
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "'2027' is no longer in HGRIP_PERSONAL_DATA_KEYS" in refused.stdout
    assert second_key.split(":", 1)[1] not in refused.stdout + refused.stderr


def test_a_fresh_database_migrates_without_any_key(empty_url, monkeypatch):
    monkeypatch.setenv("HGRIP_PERSONAL_DATA_KEYS", "not a key list")   # never read: nothing to seal
    upgrade("identity", empty_url)
    engine = create_engine(empty_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM account_mobiles")).scalar_one() == 0
    finally:
        engine.dispose()


def _env():
    return dict(os.environ)
