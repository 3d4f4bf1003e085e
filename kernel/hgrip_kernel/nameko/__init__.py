"""The nameko shell around the kernel: the only place in hgrip_kernel that imports nameko."""
from .broker_drops import tolerate_broker_drops
from .deadline_rpc import PeerProxy
from .errors import register_rpc_errors
from .event_consumer import EventConsumer, event_consumer
from .refusing_rpc import refusing_rpc
from .request_context import RequestContext
from .retired_queues import RetiredQueues
from .store_provider import EventStoreProvider

register_rpc_errors()
tolerate_broker_drops()

__all__ = ["EventConsumer", "EventStoreProvider", "PeerProxy", "RequestContext", "RetiredQueues", "event_consumer",
           "refusing_rpc", "register_rpc_errors"]
