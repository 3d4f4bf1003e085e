"""A broker connection that drops must not kill the service that was using it.

nameko 2.14 kills the whole container (and `hgrip serve` exits) when the broker goes away at two
moments, both seen in the fault suite:
- settling a message: QueueConsumer.ack_message/requeue_message ignore amqp's ConnectionError but
  not the socket's own (ConnectionResetError), which escapes into the consumer's managed thread — the
  gateway acks every RPC reply, so a RabbitMQ restart could take it down;
- answering an RPC: a worker that finishes while the broker is away cannot publish its reply; the
  error escapes from the worker's result handler.
Neither needs more than letting go: the broker gives an unacked message back to its queue when the
connection closes (a request is then served again; an RPC's caller has meanwhile answered 503 at its
deadline). But a reply can also fail on the publisher's own pooled connection while the consumer's
channel lives on: a request left unacked there would hold one of the channel's prefetch slots (one per
worker) until that connection closed, and a service that lost them all would take no request again.
So a request whose reply could not be sent is acked when its channel still lives: its effect is
committed, the caller answers 503 at its deadline, and a retry finds what was done.

A third moment left a process up but deaf (about one RabbitMQ restart under load in ten, in the fault
suite): a worker's ack fails on the consumer's dying connection, and amqp marks that connection
not connected. The consumer's next wait on it asks kombu for ``Connection.connection``, which, finding
it not connected, quietly opens a new one — on which no queue is consumed. The consumer then waits
on that healthy, silent connection for ever (its heartbeats flow), logs nothing, and its process
takes no request or event again: the gateway answered 503 for it until it was stopped. So before each
wait the consumer checks that it still holds the very connection its consumers were declared on, and
if not, closes that one and raises a connection error: kombu's loop then logs the loss and reconnects
as for any other, declaring the consumers again.

nameko is frozen at 2.14, so the fixes are applied to its classes, once, when hgrip_kernel.nameko
is imported.
"""
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError as BrokerError
from nameko.messaging import QueueConsumer
from nameko.rpc import RpcConsumer

from ..logging import get_logger

log = get_logger("hgrip.broker")

DROPPED = (OSError, AmqpConnectionError, BrokerError)


def _tolerant(settle):
    def settle_unless_dropped(self, message):
        try:
            settle(self, message)
        except DROPPED as exc:
            log.warning("broker_connection_lost_while_settling", action=settle.__name__, error=repr(exc))
    settle_unless_dropped.__name__ = settle.__name__
    settle_unless_dropped.hgrip_tolerant = True
    return settle_unless_dropped


def _reply_unless_dropped(handle_result):
    def handle_result_unless_dropped(self, message, result, exc_info):
        try:
            return handle_result(self, message, result, exc_info)
        except DROPPED as exc:
            log.warning("broker_connection_lost_while_replying", error=repr(exc))
            self.queue_consumer.ack_message(message)  # tolerant: a channel already gone is left to the broker
            return result, exc_info
    handle_result_unless_dropped.hgrip_tolerant = True
    return handle_result_unless_dropped


class ConsumerConnectionReplaced(AmqpConnectionError):
    """The consumer's connection was replaced under it (kombu reconnected quietly): reconnect."""


def _remember_connection(on_consume_ready):
    def on_consume_ready_remembering(self, connection, channel, consumers, **kwargs):
        # (``_connection``, not the ``connection`` property: that one may reconnect quietly.)
        self.hgrip_consuming = (connection, connection._connection)
        return on_consume_ready(self, connection, channel, consumers, **kwargs)
    on_consume_ready_remembering.hgrip_tolerant = True
    return on_consume_ready_remembering


def _check_connection(on_iteration):
    def on_iteration_checking(self):
        on_iteration(self)
        connection, declared_on = getattr(self, "hgrip_consuming", (None, None))
        if declared_on is not None and (connection._connection is not declared_on or not declared_on.connected):
            self.hgrip_consuming = (None, None)
            try:   # let go of it for good: the broker gives back what it had delivered there
                declared_on.collect()
            except OSError:
                pass
            raise ConsumerConnectionReplaced("the connection the consumers were declared on is gone")
    on_iteration_checking.hgrip_tolerant = True
    return on_iteration_checking


def tolerate_broker_drops() -> None:
    for name in ("ack_message", "requeue_message"):
        settle = getattr(QueueConsumer, name)
        if not getattr(settle, "hgrip_tolerant", False):
            setattr(QueueConsumer, name, _tolerant(settle))
    for name, fix in (("on_consume_ready", _remember_connection), ("on_iteration", _check_connection)):
        method = getattr(QueueConsumer, name)
        if not getattr(method, "hgrip_tolerant", False):
            setattr(QueueConsumer, name, fix(method))
    if not getattr(RpcConsumer.handle_result, "hgrip_tolerant", False):
        RpcConsumer.handle_result = _reply_unless_dropped(RpcConsumer.handle_result)
