"""Replaying a dead letter whose queue no longer exists (its consumer retired) leaves it in place: the
default exchange would drop it silently, and the broker would confirm the publish all the same."""
import json

from kombu import Connection, Producer, Queue

from hgrip_kernel.dead_letters import list_dead_letters, replay
from hgrip_kernel.messaging.topology import (
    ATTEMPTS_HEADER,
    DEAD_LETTER_QUEUE,
    ORIGIN_QUEUE_HEADER,
    declare_topology,
)


def dead_letter(amqp_uri, message_id: str, origin: str) -> None:
    with Connection(amqp_uri) as connection:
        Producer(connection).publish(json.dumps({"n": message_id}).encode(), exchange="",
                                     routing_key=DEAD_LETTER_QUEUE, message_id=message_id, delivery_mode=2,
                                     content_type="application/json", content_encoding="utf-8",
                                     headers={ORIGIN_QUEUE_HEADER: origin, ATTEMPTS_HEADER: 5})


def test_a_dead_letter_of_a_queue_that_is_gone_stays_while_the_others_are_replayed(amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection.default_channel)
        Queue("alive.on_made", durable=True)(connection.default_channel).declare()
    dead_letter(amqp_uri, "m-gone", "retired.on_made")
    dead_letter(amqp_uri, "m-alive", "alive.on_made")
    replayed = replay(amqp_uri)
    assert [letter.message_id for letter in replayed] == ["m-alive"]
    assert [letter.message_id for letter in list_dead_letters(amqp_uri)] == ["m-gone"]
    with Connection(amqp_uri) as connection:
        message = connection.default_channel.basic_get("alive.on_made", no_ack=True)
        assert message is not None and json.loads(message.body) == {"n": "m-alive"}
    assert replay(amqp_uri, "m-gone") == [] and len(list_dead_letters(amqp_uri)) == 1
