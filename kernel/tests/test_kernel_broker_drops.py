"""Settling a message on a connection the broker just dropped leaves the service running."""
import pytest
from nameko.messaging import QueueConsumer

import hgrip_kernel.nameko  # noqa: F401  (applies the fix to nameko's QueueConsumer)


class DroppedMessage:
    """What kombu hands back once RabbitMQ has reset the connection: settling it fails in the socket."""

    class channel:
        connection = object()

    def __init__(self, error):
        self.error = error

    def ack(self):
        raise self.error

    def requeue(self):
        raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError()])
def test_ack_and_requeue_on_a_dropped_connection_do_not_raise(error):
    consumer = QueueConsumer.__new__(QueueConsumer)  # no container needed to settle a message
    consumer.ack_message(DroppedMessage(error))
    consumer.requeue_message(DroppedMessage(error))


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
