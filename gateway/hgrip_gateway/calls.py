"""RPC calls with a deadline: nameko's RpcProxy would otherwise wait forever for a stopped service.

The deadline covers sending the request too: while the broker is away, nameko's publisher keeps
reconnecting (about 20 s), which would hold the client past the gateway's timeout.
"""
import os
import time
from contextlib import contextmanager

import eventlet
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import RpcProxy

DEFAULT_TIMEOUT = 10.0
# A request no process took before the caller gave up is dropped by the broker: the client got a 503
# and may try again, so a service restarted later must not act on it too (a second project, say).
# Shorter than the timeout, leaving the service time to answer one it took just before.
REQUEST_EXPIRATION = 0.7 * float(os.environ.get("HGRIP_GATEWAY_RPC_TIMEOUT") or DEFAULT_TIMEOUT)


def expiring_proxy(service: str) -> RpcProxy:
    return RpcProxy(service, expiration=REQUEST_EXPIRATION)


def call(method, *args, timeout: float = DEFAULT_TIMEOUT):
    """Call ``proxy.method(*args)``; RpcTimeout if no answer in time, UnknownService if no such service."""
    with deadline(timeout):
        return method.call_async(*args).result()


def gather(methods: dict, timeout: float) -> dict:
    """Call every method at once and wait at most ``timeout`` in all.

    Returns {name: ("ok", result) | ("unavailable" | "timeout" | "error", None)}.
    """
    end = time.monotonic() + timeout
    replies, outcomes = {}, {}
    for name, method in methods.items():
        try:
            with deadline(max(0.0, end - time.monotonic())):
                replies[name] = method.call_async()
        except UnknownService:
            outcomes[name] = ("unavailable", None)
        except RpcTimeout:
            outcomes[name] = ("timeout", None)
        except Exception:  # broker trouble: this service cannot be asked
            outcomes[name] = ("error", None)
    for name, reply in replies.items():
        try:
            with deadline(max(0.0, end - time.monotonic())):
                outcomes[name] = ("ok", reply.result())
        except RpcTimeout:
            outcomes[name] = ("timeout", None)
        except Exception:
            outcomes[name] = ("error", None)
    return {name: outcomes[name] for name in methods}


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
