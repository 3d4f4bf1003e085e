"""Publishes a batch with publisher confirms, keeping the whole batch in flight at once.

Waiting for each confirm costs a round trip per message; a window of unconfirmed messages costs
one per batch. Returns which messages the broker confirmed, so callers mark only those as sent.
"""
import contextlib
import time

import amqp
from kombu import Connection

from .topology import declare_topology


class PublishTimeout(Exception):
    pass


class ConfirmingPublisher:
    def __init__(self, amqp_uri: str, exchange: str, confirm_timeout: float = 10.0,
                 close_timeout: float = 5.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self.close_timeout = close_timeout
        self._kombu: Connection | None = None
        self._amqp: amqp.Connection | None = None
        self._channel: amqp.Channel | None = None
        self._next_tag = 1
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._highest_multiple_ack = 0

    def connect(self) -> tuple[Connection, amqp.Channel]:
        """The connection and its confirming channel, opened now if they are not open."""
        if self._kombu is not None and self._channel is not None:
            return self._kombu, self._channel
        self._kombu = kombu = Connection(self.amqp_uri, connect_timeout=5, heartbeat=0)
        kombu.connect()
        self._amqp = kombu.connection
        declare_topology(kombu.default_channel)
        self._channel = channel = kombu.connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._next_tag = 1
        self._acked.clear()
        self._nacked.clear()
        self._highest_multiple_ack = 0
        return kombu, channel

    def _on_ack(self, tag, multiple):
        if multiple:
            self._highest_multiple_ack = max(self._highest_multiple_ack, tag)
        else:
            self._acked.add(tag)

    def _on_nack(self, tag, multiple):
        if multiple:
            self._nacked.update(range(1, tag + 1))
        else:
            self._nacked.add(tag)

    def _confirmed(self, tag) -> bool:
        return (tag <= self._highest_multiple_ack or tag in self._acked) and tag not in self._nacked

    def publish_batch(self, messages: list[dict]) -> list[bool]:
        """messages: dicts with routing_key, body (bytes) and properties. Returns confirmed flags."""
        kombu, channel = self.connect()
        tags = []
        try:
            for message in messages:
                amqp_message = amqp.Message(message["body"], **message["properties"])
                channel.basic_publish(amqp_message, exchange=self.exchange, routing_key=message["routing_key"])
                tags.append(self._next_tag)
                self._next_tag += 1
            deadline = time.monotonic() + self.confirm_timeout
            while not all(self._confirmed(t) or t in self._nacked for t in tags):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    kombu.connection.drain_events(timeout=min(remaining, 1.0))
                except TimeoutError:
                    continue
        except Exception:
            self.close()
            raise
        return [self._confirmed(t) for t in tags]

    def close(self):
        """Close the connection, waiting at most ``close_timeout`` for the broker's answer.

        Closing is a handshake: sent Close, the client reads until the broker's Close-OK. A broker
        that never answers (the connection stalled, not reset) held a stopping service in that read
        for good (the relay is closed when its service is killed). Past the time-out the socket is
        closed without the answer; the broker drops the connection on its side."""
        kombu, connection = self._kombu, self._amqp
        self._kombu = self._amqp = self._channel = None
        try:
            transport = connection.transport if connection is not None else None
            if transport is not None and transport.sock is not None:
                transport.sock.settimeout(self.close_timeout)
            if kombu is not None:
                kombu.release()
        except Exception:  # closing a broken connection may fail; it is gone either way
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.collect()   # the socket, whatever state the handshake was left in
