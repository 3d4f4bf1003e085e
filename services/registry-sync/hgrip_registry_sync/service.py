"""The registry-sync nameko service (skeleton): runs on the kernel, answers health().

The nameko service name is ``registry-sync`` (dash), the same as the entry point, the config key
and the event source: call it as ``RpcProxy("registry-sync")`` or ``cluster["registry-sync"]``.
"""
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext
from nameko.rpc import rpc


class RegistrySyncService:
    name = "registry-sync"

    store = EventStoreProvider()
    ctx = RequestContext()

    @rpc
    def health(self):
        return health_report(self.name, self.store)
