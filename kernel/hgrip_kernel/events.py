"""What an aggregate records: a named fact with its payload, before it gets an envelope."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: dict = field(default_factory=dict)
    schema_version: int = 1
