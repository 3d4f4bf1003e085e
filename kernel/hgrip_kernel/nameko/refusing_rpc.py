"""An RPC whose refusals are answers, not faults: nameko logs a DomainError as a warning, not an error.

A database that is down or has just restarted (its pooled connections dropped) is not a fault of the
request either: the caller gets ``ServiceUnavailable`` (503 at the gateway, with Retry-After) instead
of a RemoteError it would have to answer with 500. Trying again shortly is the remedy.
"""
from nameko.rpc import Rpc

from ..errors import DomainError, ServiceUnavailable
from ..logging import get_logger
from ..store import database_unreachable

# Long enough for a restarting PostgreSQL to accept connections again (a fast restart takes ~1 s).
DATABASE_RETRY_AFTER_SECONDS = 2

log = get_logger("hgrip.rpc")


def database_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "database_unavailable",
        "The service's database cannot be reached at the moment; please try again shortly.",
        "服务的数据库暂时无法访问，请稍后重试。",
        {"retry_after_seconds": DATABASE_RETRY_AFTER_SECONDS})


class RefusingRpc(Rpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and database_unreachable(exc_info[1]):
            log.warning("rpc_database_unreachable", entrypoint=self.method_name, error=repr(exc_info[1])[:300])
            error = database_unavailable()
            exc_info = (type(error), error, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


refusing_rpc = RefusingRpc.decorator(expected_exceptions=DomainError)
