"""Verification has no read model a rebuild can fold from its events: ``hgrip rebuild verification``
leaves every table alone, and says why (``LEFT_ALONE``)."""
from hgrip_kernel.store.replay import Projections

LEFT_ALONE = {
    "events": "the event store itself",
    "outbox": "delivery state of published events, not a view of them",
    "inbox": "which peer events were applied (idempotence), not derived from this store",
    "verification_codes": "e-mailed codes with a time to live: the code's hash is never in an event, so "
                          "the rows cannot be folded from them (a code lost is re-sent on request)",
    "sms_codes": "SMS codes with a time to live: the code's hash is never in an event (as verification_codes)",
    "notices_sent": "which notices were mailed (send once): a record of mails sent, not of events",
}

PROJECTIONS = Projections(service="verification", read_models=(), left_alone=LEFT_ALONE)
