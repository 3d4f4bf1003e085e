"""What identity publishes on hgrip.events, and what it never writes into events."""
import json
import time

from kombu import Connection, Queue
from sqlalchemy import select

from hgrip_identity.adapters.tables import credentials
from hgrip_identity.domain import account_id_for
from hgrip_kernel.messaging.topology import declare_topology, events_exchange
from hgrip_kernel.outbox_relay import outbox_messages


def test_account_provisioned_is_published_with_its_routing_key(identity, ngdc, zhang, amqp_uri):
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        declare_topology(channel)
        queue = Queue("test.identity.provisioned", exchange=events_exchange,
                      routing_key="identity.AccountProvisioned", durable=False, auto_delete=False)
        queue(channel).declare()
        with identity.rpc(correlation_id="req-identity-1") as cluster:
            cluster.identity.upsert_institution(ngdc)
            cluster.identity.upsert_account(zhang)
        message = None
        for _ in range(100):  # the relay publishes after commit; give it a moment
            message = queue(channel).get(no_ack=True)
            if message:
                break
            time.sleep(0.1)
        assert message is not None, "no identity.AccountProvisioned message arrived"
        assert message.delivery_info["routing_key"] == "identity.AccountProvisioned"
        assert message.delivery_info["exchange"] == "hgrip.events"
        envelope = json.loads(message.body)
        assert envelope["event_type"] == "AccountProvisioned" and envelope["source"] == "identity"
        assert envelope["schema_version"] == 3 and envelope["data"]["email"] is None   # v3: e-mail, mobile hash
        assert "mobile" not in envelope["data"] and "13812345678" not in message.body.decode()
        assert envelope["correlation_id"] == "req-identity-1"
        assert message.properties["message_id"] == envelope["event_id"]
        data = envelope["data"]
        assert data["account_id"] == account_id_for("zhangxh") and data["username"] == "zhangxh"
        assert data["institution"] == "NGDC" and data["unit"] == "U1"
        assert "password" not in json.dumps(envelope).lower()
        assert queue(channel).get(no_ack=True) is None  # exactly one


def test_password_and_hash_never_reach_events_or_outbox(identity, ngdc, zhang):
    with identity.rpc() as cluster:
        cluster.identity.upsert_institution(ngdc)
        cluster.identity.upsert_account(zhang)
        cluster.identity.upsert_account(dict(zhang, password="An0ther-secret"))
        cluster.identity.login("zhangxh", "An0ther-secret")
    with identity.engine.connect() as connection:
        stored_hash = connection.execute(select(credentials.c.password_hash)).scalar_one()
        bodies = [m["body"].decode() for m in outbox_messages(connection)]  # what goes on the bus
    assert stored_hash.startswith("$argon2id$")
    everything = json.dumps([row.data for row in identity.events()], ensure_ascii=False) + "".join(bodies)
    for secret in (stored_hash, "Corr3ct-horse", "An0ther-secret", "$argon2"):
        assert secret not in everything
    assert [r.event_type for r in identity.events()].count("PasswordSet") == 2

