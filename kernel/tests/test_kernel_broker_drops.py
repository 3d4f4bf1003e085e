"""Settling a message on a connection the broker just dropped leaves the service running, and a reply
that could not be sent does not cost the service a worker for good."""
import eventlet
import pytest
from nameko.exceptions import RpcTimeout
from nameko.messaging import QueueConsumer
from nameko.rpc import Responder, rpc

import hgrip_kernel.nameko  # noqa: F401  (applies the fix to nameko's QueueConsumer)


class DroppedMessage:
    """What kombu hands back once RabbitMQ has reset the connection: settling it fails in the socket."""

    class channel:
        connection = object()

    def __init__(self, error):
        self.error = error
        self.tried: list[str] = []

    def ack(self):
        self.tried.append("ack")
        raise self.error

    def requeue(self):
        self.tried.append("requeue")
        raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError()])
def test_ack_and_requeue_on_a_dropped_connection_do_not_raise(error):
    consumer = QueueConsumer.__new__(QueueConsumer)  # no container needed to settle a message
    acked, requeued = DroppedMessage(error), DroppedMessage(error)
    consumer.ack_message(acked)  # raising here fails the test
    consumer.requeue_message(requeued)
    assert (acked.tried, requeued.tried) == (["ack"], ["requeue"])  # tried, and the failure swallowed


def test_other_errors_still_raise():
    consumer = QueueConsumer.__new__(QueueConsumer)
    with pytest.raises(ValueError):
        consumer.ack_message(DroppedMessage(ValueError("a bug, not a dropped connection")))


def test_the_cli_loads_no_broker_client_before_serve_patches_eventlet():
    """kombu imported before eventlet.monkey_patch() keeps the blocking time.sleep for its reconnection
    back-off: the whole `hgrip serve` process froze while the broker was away."""
    import subprocess
    import sys
    code = ("import sys, hgrip_kernel.cli.main; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'kombu', 'amqp', 'nameko', 'eventlet'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


class Echo:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


def test_a_reply_that_could_not_be_sent_frees_its_workers_slot(service_config, start_service, rpc_proxy,
                                                              monkeypatch):
    """The reply's publish fails (its pooled connection was dropped) while the consumer's channel lives:
    the request is acked, so the one worker's prefetch slot is free for the next request — left unacked,
    it held the slot and the service took no request again until its connection closed."""
    start_service(Echo, service_config("echo", max_workers=1))
    send_response = Responder.send_response
    failures = []

    def dropped_once(self, result, exc_info):
        if not failures:
            failures.append(result)
            raise ConnectionResetError(104, "Connection reset by peer")
        return send_response(self, result, exc_info)

    monkeypatch.setattr(Responder, "send_response", dropped_once)
    with rpc_proxy(timeout=2) as cluster:
        with pytest.raises(RpcTimeout):
            cluster.echo.echo("lost")
        assert failures == ["lost"]
        assert cluster.echo.echo("next") == "next"


def test_a_consumer_whose_connection_died_under_it_consumes_again(service_config, start_service, rpc_proxy):
    """A worker's ack fails on the consumer's dying connection and amqp marks it not connected. kombu
    would reconnect quietly on the consumer's next wait, onto a connection where no queue is
    consumed, and the service would answer nothing again (seen after a RabbitMQ restart under load).
    The consumer notices instead, and reconnects with its consumers declared again."""
    container = start_service(Echo, service_config("echo"))
    [consumer] = [e for e in container.subextensions if isinstance(e, QueueConsumer)]
    with rpc_proxy(timeout=5) as cluster:
        assert cluster.echo.echo("before") == "before"
    _, declared_on = consumer.hgrip_consuming
    declared_on.transport.connected = False   # what amqp's transport does when a write on it fails
    eventlet.sleep(2.5)   # the consumer's next waits (each times out after 1 s) find it so
    with rpc_proxy(timeout=10) as cluster:
        assert cluster.echo.echo("after") == "after"
    assert consumer.hgrip_consuming[1] is not declared_on   # consuming on a new connection
