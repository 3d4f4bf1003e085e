"""The published event contract: which events downstream systems (HGRG and others) may consume.

Published events are copied from ``hgrip.events`` to the exchange ``hgrip.published`` by
exchange-to-exchange bindings (``messaging.topology``), and each has a JSON Schema (draft 2020-12)
of its full message body generated from its marshmallow contract (``hgrip contracts export DIR``;
the committed copies live in ``contracts/jsonschema/`` at the repository root). See docs/events.md.

Every other event is private to the platform and may change without notice.
"""
from dataclasses import dataclass

PUBLISHED_EXCHANGE = "hgrip.published"
PUBLISHED = "published"
PLANNED = "planned"


@dataclass(frozen=True)
class PublishedEvent:
    source: str
    event_type: str
    version: int | None          # schema version; None while only the name is reserved
    stream_type: str
    status: str = PUBLISHED      # "published" (produced, schema committed) or "planned" (name reserved)
    summary: str = ""

    @property
    def routing_key(self) -> str:
        return f"{self.source}.{self.event_type}"

    @property
    def name(self) -> str:
        return f"{self.routing_key}.v{self.version}"

    @property
    def schema_file(self) -> str:
        return f"{self.name}.json"


CATALOGUE: tuple[PublishedEvent, ...] = (
    PublishedEvent("backups", "BackupSubmitted", 1, "backup", PUBLISHED,
                   "A backup was submitted: it has its backup number and its files are locked."),
    PublishedEvent("backups", "BackupDelegated", 1, "backup", PUBLISHED,
                   "A legal person or unit administrator moved the backup to another member "
                   "(委托调整): its new owner."),
    PublishedEvent("backups", "BackupClaimed", 1, "backup", PUBLISHED,
                   "A legacy backup (numbered on the old platform) was claimed: its owner, once."),
    PublishedEvent("backups", "FilingLinked", 1, "backup", PUBLISHED,
                   "HGRG's filing number (备案号) of a prior report citing the backup was linked."),
)


def published_events() -> list[PublishedEvent]:
    """Events produced today, each with a committed JSON Schema."""
    return [e for e in CATALOGUE if e.status == PUBLISHED]


def planned_events() -> list[PublishedEvent]:
    return [e for e in CATALOGUE if e.status == PLANNED]


def published_routing_keys() -> list[str]:
    """Routing keys bound from ``hgrip.events`` to ``hgrip.published`` (one per event type)."""
    return sorted({e.routing_key for e in published_events()})


def is_published(source: str, event_type: str, version: int | None = None) -> bool:
    return any(e.source == source and e.event_type == event_type and (version is None or e.version == version)
               for e in published_events())
