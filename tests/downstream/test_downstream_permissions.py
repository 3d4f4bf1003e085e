"""A downstream user (made by `hgrip downstream add`) reads its own queue and nothing else: every other
operation is refused by the broker itself (ACCESS_REFUSED), whatever the client."""
import json

import amqp
import pytest
import requests
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange

from hgrip_kernel.contracts.published import PUBLISHED_EXCHANGE
from hgrip_kernel.messaging.names import DEAD_LETTER_QUEUE, EVENTS_EXCHANGE


def connect(lane, password=None) -> amqp.Connection:
    connection = amqp.Connection(f"{lane.host}:{lane.port}", userid=lane.name,
                                 password=password or lane.password, virtual_host=lane.vhost)
    connection.connect()
    return connection


def publish_as_admin(amqp_uri, routing_key: str, body: dict) -> None:
    with Connection(amqp_uri) as connection:
        producer = connection.Producer(exchange=Exchange(PUBLISHED_EXCHANGE, type="topic", durable=True))
        producer.publish(json.dumps(body), routing_key=routing_key, content_type="application/json")


def refused(connection: amqp.Connection, operation) -> None:
    """The operation on a fresh channel is refused with ACCESS_REFUSED (403), which closes the channel."""
    channel = connection.channel()
    with pytest.raises(AccessRefused):
        operation(channel)


def publish(exchange: str, routing_key: str):
    def operation(channel):
        channel.basic_publish(amqp.Message(b"{}"), exchange=exchange, routing_key=routing_key)
        channel.basic_qos(0, 1, False)   # publish is asynchronous: a synchronous call then gets the refusal
    return operation


def test_downstream_user_consumes_its_own_queue_and_may_do_nothing_else(make_lane, amqp_uri):
    lane, other = make_lane(), make_lane()
    publish_as_admin(amqp_uri, "backups.BackupSubmitted", {"hello": 1})
    connection = connect(lane)
    try:
        own = connection.channel()
        name, count, _ = own.queue_declare(lane.queue, passive=True)   # a passive declare needs no right
        assert (name, count) == (lane.queue, 1)
        message = own.basic_get(lane.queue)
        assert json.loads(message.body) == {"hello": 1}
        own.basic_ack(message.delivery_tag)
        received = []
        own.basic_consume(lane.queue, callback=received.append)
        publish_as_admin(amqp_uri, "backups.FilingLinked", {"hello": 2})
        connection.drain_events(timeout=5)
        assert [json.loads(m.body) for m in received] == [{"hello": 2}]

        # write: no exchange at all, the default one included
        for exchange, key in ((PUBLISHED_EXCHANGE, "backups.BackupSubmitted"), (EVENTS_EXCHANGE, "backups.x"),
                              ("", lane.queue), ("amq.topic", "x")):
            refused(connection, publish(exchange, key))
        # configure: no declaring, deleting
        refused(connection, lambda ch: ch.queue_declare(lane.queue, durable=True,
                                                        arguments={"x-dead-letter-exchange": ""}))
        refused(connection, lambda ch: ch.queue_declare("mine", durable=False))
        refused(connection, lambda ch: ch.queue_declare("", exclusive=True))   # not even a private one
        refused(connection, lambda ch: ch.exchange_declare("mine", "topic"))
        refused(connection, lambda ch: ch.queue_delete(lane.queue))
        # bindings are the administrator's: none onto other exchanges, none removed
        refused(connection, lambda ch: ch.queue_bind(lane.queue, EVENTS_EXCHANGE, "#"))
        refused(connection, lambda ch: ch.queue_bind(lane.queue, PUBLISHED_EXCHANGE, "identity.#"))
        refused(connection, lambda ch: ch.queue_unbind(lane.queue, PUBLISHED_EXCHANGE, "#"))
        # read: no other queue — another system's, its own rejected messages, the platform's
        for queue in (other.queue, f"{lane.queue}.rejected", DEAD_LETTER_QUEUE):
            refused(connection, lambda ch, q=queue: ch.basic_get(q))
            refused(connection, lambda ch, q=queue: ch.basic_consume(q, callback=lambda m: None))
    finally:
        connection.close()


def test_downstream_user_has_no_management_access_and_a_wrong_password_is_refused(make_lane, management_url):
    lane = make_lane()
    api = management_url.rstrip("/").rsplit("@", 1)[-1]
    api = api if "://" in api else "http://" + api
    assert requests.get(f"{api}/api/overview", auth=(lane.name, lane.password), timeout=10).status_code == 401
    with pytest.raises(AccessRefused):
        connect(lane, password="not-" + lane.password)


def test_add_is_idempotent_converges_and_remove_undoes(make_lane, downstream_cli, management_url, capsys):
    lane = make_lane("--routing-key", "backups.*")
    base, auth = _api(management_url)
    vhost = requests.utils.quote(lane.vhost, safe="")

    def keys():
        answer = requests.get(f"{base}/bindings/{vhost}/e/{PUBLISHED_EXCHANGE}/q/{lane.queue}", auth=auth, timeout=10)
        return sorted(b["routing_key"] for b in answer.json())

    assert keys() == ["backups.*"]
    # run again: other keys replace the old ones; a new password replaces the old one
    assert downstream_cli("add", lane.name, "--routing-key", "backups.BackupSubmitted",
                          "--routing-key", "backups.FilingLinked", password="second-" + lane.password) == 0
    assert keys() == ["backups.BackupSubmitted", "backups.FilingLinked"]
    with pytest.raises(AccessRefused):
        connect(lane)
    connect(lane, password="second-" + lane.password).close()
    printed = capsys.readouterr()
    assert lane.password not in printed.out + printed.err
    assert "read ^hgrip\\.downstream\\." in printed.out

    assert downstream_cli("remove", lane.name) == 0
    assert requests.get(f"{base}/users/{lane.name}", auth=auth, timeout=10).status_code == 404
    assert requests.get(f"{base}/queues/{vhost}/{lane.queue}", auth=auth, timeout=10).status_code == 404
    assert downstream_cli("remove", lane.name) == 0   # nothing left: still fine
    assert f"nothing to remove for {lane.name}" in capsys.readouterr().out


def test_add_refuses_bad_names_weak_passwords_and_existing_operator_accounts(downstream_cli, capsys):
    assert downstream_cli("add", "HGRG;drop", password="x" * 20) == 1
    assert "invalid downstream name" in capsys.readouterr().err
    assert downstream_cli("add", "t-weak", password="short") == 1
    assert "shorter than 16" in capsys.readouterr().err
    # the administrator's own account (guest here) is never turned into a downstream user
    assert downstream_cli("add", "guest", password="x" * 20) == 1
    assert "is not a downstream user" in capsys.readouterr().err


def _api(management_url: str):
    from urllib.parse import urlparse
    url = urlparse(management_url)
    return f"{url.scheme}://{url.hostname}:{url.port}/api", (url.username or "guest", url.password or "guest")
