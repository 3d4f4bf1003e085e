"""RPC calls with a deadline: nameko's RpcProxy would otherwise wait forever for a reply that never comes.

A reply lost in a broker outage, or a peer that stopped answering, held the caller's worker until its
process restarted (docs/reliability.md). The deadline covers sending the request too: while the broker
is away, nameko's publisher keeps reconnecting (about 20 s).

``PeerProxy`` is what services use for each other (``identity = PeerProxy("identity")``): every call
has the deadline ``PEER_RPC_TIMEOUT`` of the service's config, and a peer that does not answer in time
becomes ``ServiceUnavailable`` ``peer_unavailable`` (503 at the gateway). Its refusals pass through.
"""
from contextlib import contextmanager

import eventlet
from nameko.exceptions import RpcTimeout
from nameko.rpc import RpcProxy, ServiceProxy

from ..config import DEFAULT_PEER_RPC_TIMEOUT
from ..errors import ServiceUnavailable
from ..logging import get_logger

# A request no process took before the caller gave up is dropped by the broker: the caller answered
# 503 and may be asked again, so a peer restarted later must not act on it too. Shorter than the
# timeout, leaving the peer time to answer one it took just before.
EXPIRATION_SHARE = 0.7
# A peer that missed its deadline is busy or restarting: a few seconds, as for the database.
PEER_RETRY_AFTER_SECONDS = 2

log = get_logger("hgrip.rpc")


@contextmanager
def deadline(timeout: float):
    """RpcTimeout if the block takes longer than ``timeout`` seconds (only our own timer is translated)."""
    timer = eventlet.Timeout(timeout)
    try:
        yield
    except eventlet.Timeout as exc:
        if exc is not timer:  # somebody else's timeout: not ours to translate
            raise
        raise RpcTimeout(f"no reply within {timeout:.1f}s") from None
    finally:
        timer.cancel()


def call(method, *args, timeout: float, **kwargs):
    """Call ``proxy.method(*args)``; RpcTimeout if no answer in time, UnknownService if no such service."""
    with deadline(timeout):
        return method.call_async(*args, **kwargs).result()


def expiring_proxy(service: str, expiration: float) -> RpcProxy:
    """An RpcProxy whose requests expire in the broker after ``expiration`` seconds."""
    return RpcProxy(service, expiration=expiration)


def peer_unavailable(service: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        "peer_unavailable",
        "A service this request needs did not answer in time; please try again.",
        "本请求所需的服务未能及时响应，请稍后重试。",
        {"service": service, "retry_after_seconds": PEER_RETRY_AFTER_SECONDS})


class PeerProxy(RpcProxy):
    """An RpcProxy for service-to-service calls: a deadline on each call, requests that expire."""

    def setup(self):
        self.timeout = float(self.container.config.get("PEER_RPC_TIMEOUT") or DEFAULT_PEER_RPC_TIMEOUT)
        self.options.setdefault("expiration", EXPIRATION_SHARE * self.timeout)

    def get_dependency(self, worker_ctx):
        return DeadlineServiceProxy(
            ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.options),
            self.timeout)


class DeadlineServiceProxy:
    """``proxy.method(*args)`` as on nameko's ServiceProxy, but never waiting past the deadline."""

    def __init__(self, proxy: ServiceProxy, timeout: float):
        self._proxy = proxy
        self._timeout = timeout

    def __getattr__(self, name: str):
        method = getattr(self._proxy, name)
        service, timeout = self._proxy.service_name, self._timeout

        def invoke(*args, **kwargs):
            try:
                return call(method, *args, timeout=timeout, **kwargs)
            except RpcTimeout as exc:
                log.warning("peer_rpc_timeout", service=service, method=name, timeout=timeout)
                raise peer_unavailable(service) from exc

        return invoke
