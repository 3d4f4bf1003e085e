"""Inspect and replay the dead-letter queue (plain kombu; used by the ``hgrip deadletters`` command).

Listing takes every message without acknowledging it and then closes the channel, which returns
them all to the queue untouched. Replaying re-publishes a message to the queue it failed in, with
its attempt count reset, and acknowledges the dead letter only after the broker confirmed that. A
dead letter whose queue no longer exists (a consumer retired since) is left where it is, with a
warning: the default exchange would drop it silently, and the broker would still confirm.
"""
import json
from dataclasses import dataclass

from amqp.exceptions import NotFound
from kombu import Connection, Producer

from .logging import get_logger
from .masking import mask_text, mask_value
from .messaging.topology import (
    ATTEMPTS_HEADER,
    DEAD_LETTER_QUEUE,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    ORIGIN_QUEUE_HEADER,
    dead_letter_queue,
)


@dataclass
class DeadLetter:
    message_id: str | None
    event_type: str | None
    queue: str | None
    attempts: int
    error: str
    failed_at: str | None


def _describe(message) -> DeadLetter:
    headers = message.headers or {}
    properties = message.properties or {}
    return DeadLetter(properties.get("message_id"), properties.get("type"),
                      headers.get(ORIGIN_QUEUE_HEADER), int(headers.get(ATTEMPTS_HEADER, 0)),
                      mask_text(str(headers.get(ERROR_HEADER, ""))), headers.get(FAILED_AT_HEADER))


def _drain(channel):
    queue = dead_letter_queue(channel)
    queue.declare()
    while True:
        message = queue.get(no_ack=False)
        if message is None:
            return
        yield message


def list_dead_letters(amqp_uri: str) -> list[DeadLetter]:
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            return [_describe(message) for message in _drain(channel)]
        finally:
            channel.close()  # un-acked messages go back to the queue


def service_of(queue: str | None) -> str | None:
    """The service whose consumer failed: consumer queues are ``<service>.<method>``."""
    return queue.split(".", 1)[0] if queue and "." in queue else None


def get_dead_letter(amqp_uri: str, message_id: str) -> tuple[DeadLetter, dict] | None:
    """One dead letter and its message, personal data masked (``masking.mask_value``): ``{headers,
    body, content_type, correlation_id}``; None if no dead letter has that id. Like listing, every
    message goes back to the queue untouched."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            for message in _drain(channel):
                if message.properties.get("message_id") != message_id:
                    continue
                try:
                    body = json.loads(message.body)
                except (TypeError, ValueError):
                    body = mask_text(message.body.decode("utf-8", "replace")
                                     if isinstance(message.body, bytes) else str(message.body))
                headers = {key: value for key, value in (message.headers or {}).items() if key != "x-death"}
                return _describe(message), {
                    "headers": mask_value(None, headers), "body": mask_value(None, body),
                    "content_type": message.content_type,
                    "correlation_id": message.properties.get("correlation_id")}
            return None
        finally:
            channel.close()


log = get_logger("hgrip.dead_letters")


def _queue_exists(connection, name: str) -> bool:
    channel = connection.channel()   # a 404 closes the channel it happens on: never the draining one
    try:
        channel.queue_declare(name, passive=True)
    except NotFound:
        return False
    channel.close()
    return True


def replay(amqp_uri: str, message_id: str | None = None) -> list[DeadLetter]:
    """Replay one message (by id) or, with None, all of them. Returns what was replayed."""
    replayed = []
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        producer = Producer(channel)
        try:
            for message in list(_drain(channel)):
                if message_id is not None and message.properties.get("message_id") != message_id:
                    continue
                info = _describe(message)
                if not info.queue:
                    continue
                if not _queue_exists(connection, info.queue):   # left unacked: back in place at close
                    log.warning("dead_letter_queue_gone", message_id=info.message_id, queue=info.queue)
                    continue
                headers = {k: v for k, v in (message.headers or {}).items()
                           if k not in (ATTEMPTS_HEADER, ERROR_HEADER, FAILED_AT_HEADER, "x-death")}
                props = message.properties
                producer.publish(message.body, exchange="", routing_key=info.queue, headers=headers,
                                 content_type=message.content_type,
                                 content_encoding=message.content_encoding, delivery_mode=2,
                                 message_id=props.get("message_id"),
                                 correlation_id=props.get("correlation_id"), type=props.get("type"))
                message.ack()
                replayed.append(info)
        finally:
            channel.close()
    return replayed


__all__ = ["DeadLetter", "list_dead_letters", "get_dead_letter", "replay", "service_of", "DEAD_LETTER_QUEUE"]
