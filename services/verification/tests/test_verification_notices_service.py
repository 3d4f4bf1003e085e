"""Notices over real RabbitMQ, PostgreSQL and the SMTP sink: a redelivered event → one mail; the same
fact in two events → one mail, to the owner backups names now; SMTP away → retried, then one mail; the
queue of the retired BackupSubmitted consumer is gone once the service starts."""
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection, Producer
from nameko.rpc import rpc
from sqlalchemy import select

from hgrip_kernel.envelope import Envelope, dump_envelope
from hgrip_kernel.errors import NotFound
from hgrip_kernel.messaging.topology import events_exchange
from hgrip_kernel.testing.fixtures import wait_until
from hgrip_verification.adapters.tables import notices_sent

WANG = "22222222-2222-4222-8222-222222222222"
ZHANG = "11111111-1111-4111-8111-111111111111"
ADMIN = "33333333-3333-4333-8333-333333333333"
DOMAIN = "ngdc-demo.example.cn"
ACCOUNTS = {WANG: {"id": WANG, "username": "wangyuqing", "name": "王雨晴", "email": f"wangyuqing@{DOMAIN}"},
            ZHANG: {"id": ZHANG, "username": "zhangxiaohan", "name": "张晓寒", "email": f"zhangxiaohan@{DOMAIN}"}}
PLATFORM = "http://hgrip.test:8000"


class FakeIdentity:
    name = "identity"

    @rpc
    def get_account(self, account_id):
        if account_id not in ACCOUNTS:
            raise NotFound("account_not_found", f"No account {account_id}.", f"账号 {account_id} 不存在。")
        return ACCOUNTS[account_id]


BACKUPS: dict[str, dict] = {}   # what FakeBackups answers, by backup id


class FakeBackups:
    name = "backups"

    @rpc
    def get_backup_facts(self, backup_id):
        return BACKUPS.get(backup_id)


def envelope(source, event_type, data, version, event_id=None) -> dict:
    return dump_envelope(Envelope(
        event_id=event_id or str(uuid.uuid4()), event_type=event_type, schema_version=1, source=source,
        stream_type="backup", stream_id=f"backup-{data['backup_id']}", stream_version=version,
        occurred_at=datetime.now(UTC), actor=ADMIN, correlation_id=f"req-{uuid.uuid4().hex[:8]}",
        causation_id=None, data=data))


def publish(amqp_uri, message: dict) -> None:
    with Connection(amqp_uri) as connection:
        Producer(connection).publish(
            json.dumps(message).encode(), exchange=events_exchange,
            routing_key=f"{message['source']}.{message['event_type']}", content_type="application/json",
            content_encoding="utf-8", delivery_mode=2, message_id=message["event_id"],
            correlation_id=message["correlation_id"], headers={"nameko.correlation_id": message["correlation_id"]})


def delegated(backup_id, number, sequence=6, to=WANG):
    return envelope("backups", "BackupDelegated", {
        "backup_id": backup_id, "backup_number": number, "transfer_id": str(uuid.uuid4()), "from_owner_id": ZHANG,
        "to_owner_id": to, "to_username": ACCOUNTS[to]["username"], "institution_code": "NGDC", "unit_code": None,
        "delegated_by": ADMIN, "delegated_at": datetime.now(UTC).isoformat(), "sequence": sequence}, sequence)


def mails_to(sink, address):
    return [entry["message"] for entry in sink.messages() if address in json.dumps(entry.get("to"))]


def body(message):
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def notices(make_database, service_config, start_service, smtp_sink, amqp_uri):
    from sqlalchemy import create_engine

    from hgrip_verification.entrypoints.service import VerificationService

    start_service(FakeIdentity, service_config("identity"))
    start_service(FakeBackups, service_config("backups"))
    database_url = make_database("verification")
    start_service(VerificationService, service_config(
        "verification", database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_sink.port), SMTP_TIMEOUT=2,
        MAIL_FROM="hgrip-test@big.ac.cn", PLATFORM_URL=PLATFORM,
        RETRY_DELAY_MS=300, MAX_DELIVERY_ATTEMPTS=30))
    engine = create_engine(database_url)

    class Notices:
        sink = smtp_sink

        @staticmethod
        def publish(message):
            publish(amqp_uri, message)

        @staticmethod
        def sent():
            with engine.connect() as connection:
                return [dict(r) for r in connection.execute(select(notices_sent)).mappings().all()]
    yield Notices
    engine.dispose()


def test_a_redelivered_delegation_sends_one_mail_with_the_link(notices):
    backup_id, number = str(uuid.uuid4()), "BF2026120200001"
    message = delegated(backup_id, number)
    notices.publish(message)
    notices.publish(message)                                   # the same event again
    address = f"wangyuqing@{DOMAIN}"
    wait_until(lambda: len(notices.sent()) == 1, timeout=20, message="the notice recorded")
    time.sleep(1.5)
    [mail] = mails_to(notices.sink, address)
    assert "备份已委托给您" in mail["Subject"] and number in body(mail)
    assert f"{PLATFORM}/backups/{backup_id}" in body(mail)
    assert mail["X-HGRIP-Notice-Key"] and mail["Message-ID"].startswith("<notice.")
    [row] = notices.sent()
    assert row["sent_to"] != address and row["kind"] == "backup_delegated"


def test_a_filing_told_twice_reaches_the_current_owner_once(notices):
    backup_id, number = str(uuid.uuid4()), "BF2026120200002"
    BACKUPS[backup_id] = {"backup_id": backup_id, "owner_id": ZHANG, "backup_number": number, "name": "肝癌队列"}
    filing = {"backup_id": backup_id, "filing_number": "备案2026-77", "declared_mb": 3.0, "recipient": "某医院",
              "filed_at": datetime.now(UTC).isoformat()}
    notices.publish(envelope("backups", "FilingLinked", filing, 7))
    notices.publish(envelope("backups", "FilingLinked", filing, 7))   # same fact, another event id
    wait_until(lambda: len(notices.sent()) == 1, timeout=20, message="the filing notice recorded")
    time.sleep(1.5)
    [mail] = mails_to(notices.sink, f"zhangxiaohan@{DOMAIN}")
    assert "备案2026-77" in mail["Subject"] and "肝癌队列" in body(mail) and "filing number" in body(mail)
    assert len(notices.sent()) == 1


def test_smtp_away_is_retried_and_then_mailed_once(notices):
    backup_id = str(uuid.uuid4())
    notices.sink.stop()
    try:
        notices.publish(delegated(backup_id, None, sequence=3))
        time.sleep(2)                                          # a few failed attempts
        assert notices.sent() == []
    finally:
        notices.sink.start()
    wait_until(lambda: len(notices.sent()) == 1, timeout=30, message="sent once SMTP is back")
    [mail] = mails_to(notices.sink, f"wangyuqing@{DOMAIN}")
    assert "尚无备份号" in body(mail)


def test_the_retired_consumers_queue_is_deleted_at_start_and_again_later(make_database, service_config,
                                                                        start_service, amqp_uri):
    """Before: verification.on_backup_submitted kept a copy of every BackupSubmitted. A queue left by
    the older code (with a message in it) is gone once the service has started, its retry queue too;
    declared again (an instance of the older code during a rolling upgrade), it goes at the next pass."""
    from hgrip_kernel.messaging.topology import consumer_queue, declare_topology, retry_queue
    from hgrip_verification.entrypoints.service import VerificationService

    old = "verification.on_backup_submitted"

    def declare_the_old_queues():
        with Connection(amqp_uri) as connection:
            channel = connection.default_channel
            declare_topology(channel)
            consumer_queue(old, "backups.BackupSubmitted")(channel).declare()
            retry_queue(old, 1000)(channel).declare()
        publish(amqp_uri, envelope("backups", "BackupSubmitted", {"backup_id": str(uuid.uuid4())}, 5))

    def gone(name) -> bool:
        with Connection(amqp_uri) as connection:
            try:
                connection.channel().queue_declare(name, passive=True)
            except Exception as exc:
                assert getattr(exc, "code", None) == 404, exc
                return True
            return False

    declare_the_old_queues()
    start_service(VerificationService, service_config("verification", make_database("verification"),
                                                      RETIRED_QUEUES_INTERVAL=0.5))
    assert gone(old) and gone(f"{old}.retry")
    declare_the_old_queues()
    assert not gone(old)
    wait_until(lambda: gone(old) and gone(f"{old}.retry"), timeout=10, message="deleted again")
