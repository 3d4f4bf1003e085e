"""A broker that stops answering cannot hold a stopping service: the relay's publisher gives up the
close handshake after ``close_timeout`` and closes its socket (a suite run once hung 5 minutes in
a service's kill, in that read)."""
import socket
import time
from urllib.parse import urlparse

import eventlet
import pytest

from hgrip_kernel.messaging.confirming_publisher import ConfirmingPublisher
from hgrip_kernel.messaging.topology import events_exchange


class StallingForwarder:
    """A TCP forwarder in front of the real broker that can stop passing the client's bytes on:
    the connection stays open and the broker never hears what the client sends next."""

    def __init__(self, broker: tuple[str, int]):
        self.broker = broker
        self.stalled = False
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.threads = [eventlet.spawn(self._accept)]

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            upstream = eventlet.connect(self.broker)
            self.sockets += [client, upstream]
            self.threads += [eventlet.spawn(self._pump, client, upstream, stallable=True),
                             eventlet.spawn(self._pump, upstream, client, stallable=False)]

    def _pump(self, source, target, stallable):
        try:
            while data := source.recv(65536):
                while stallable and self.stalled:
                    eventlet.sleep(0.05)
                target.sendall(data)
        except (OSError, EOFError):   # EOFError: eventlet's, for a socket closed under the read
            pass
        target.close()

    def close(self):
        for thread in self.threads:   # first: none is left waiting on a socket closed under it
            thread.kill()
        for sock in [self.listener, *self.sockets]:
            sock.close()


@pytest.fixture
def forwarder(amqp_uri):
    broker = urlparse(amqp_uri)
    forwarder = StallingForwarder((broker.hostname, broker.port or 5672))
    yield forwarder, broker._replace(netloc=f"{broker.netloc.rsplit(':', 1)[0]}:{forwarder.port}").geturl()
    forwarder.close()


def test_close_gives_up_on_a_broker_that_does_not_answer(forwarder):
    stalling, uri = forwarder
    publisher = ConfirmingPublisher(uri, events_exchange.name, close_timeout=0.5)
    message = {"routing_key": "test.thing", "body": b"{}", "properties": {"delivery_mode": 2}}
    assert publisher.publish_batch([message]) == [True]   # a working connection, through the forwarder
    stalling.stalled = True
    started = time.monotonic()
    closing = eventlet.spawn(publisher.close)
    with eventlet.Timeout(10, False):
        closing.wait()
    took = time.monotonic() - started
    assert closing.dead, "close() still waiting for the broker after 10 s"
    assert 0.4 < took < 5, took                                       # waited its time-out, no more
    assert publisher._kombu is None and publisher._amqp is None      # the next publish reconnects


def test_close_answered_at_once_by_a_broker_that_answers(forwarder):
    _, uri = forwarder
    publisher = ConfirmingPublisher(uri, events_exchange.name, close_timeout=30)
    message = {"routing_key": "test.thing", "body": b"{}", "properties": {"delivery_mode": 2}}
    assert publisher.publish_batch([message]) == [True]
    started = time.monotonic()
    publisher.close()
    assert time.monotonic() - started < 2
    assert publisher.publish_batch([message]) == [True]              # reconnects after a close
    publisher.close()
