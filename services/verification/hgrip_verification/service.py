"""The verification nameko service (skeleton): runs on the kernel, answers health()."""
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext
from nameko.rpc import rpc


class VerificationService:
    name = "verification"

    store = EventStoreProvider()
    ctx = RequestContext()

    @rpc
    def health(self):
        return health_report(self.name, self.store)
