"""The gateway's RPC calls: its own timeout and request expiration on the kernel's deadline (deadline_rpc).

The deadline covers sending the request too: while the broker is away, nameko's publisher keeps
reconnecting (about 20 s), which would hold the client past the gateway's timeout.
"""
import os
import time

from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import RpcProxy

from hgrip_kernel.nameko import deadline_rpc
from hgrip_kernel.nameko.deadline_rpc import EXPIRATION_SHARE, deadline

DEFAULT_TIMEOUT = 10.0
# A request no process took before the gateway gave up expires in the broker (deadline_rpc explains why).
REQUEST_EXPIRATION = EXPIRATION_SHARE * float(os.environ.get("HGRIP_GATEWAY_RPC_TIMEOUT") or DEFAULT_TIMEOUT)


def expiring_proxy(service: str) -> RpcProxy:
    return deadline_rpc.expiring_proxy(service, REQUEST_EXPIRATION)


def call(method, *args, timeout: float = DEFAULT_TIMEOUT):
    """Call ``proxy.method(*args)``; RpcTimeout if no answer in time, UnknownService if no such service."""
    return deadline_rpc.call(method, *args, timeout=timeout)


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

