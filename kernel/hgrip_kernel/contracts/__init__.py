"""Versioned payload schemas of the events that cross service boundaries.

Each ``contracts/<source>.py`` registers its schemas on import; ``registry.validate`` checks an
envelope's payload on write (producer) and on read (consumer). Events with no registered schema
are private to their service and pass unchecked.

An event type registered ``on_broker=False`` is kept in its service's store only: appending it writes
no outbox row, so the relay never publishes it (``registry.on_broker``). Register so only an event no
other service consumes and the downstream feed does not carry; a consumer of one is refused at setup.
"""
import importlib
import pkgutil

from marshmallow import Schema, ValidationError

from ..errors import InvalidInput


class EventRegistry:
    def __init__(self):
        self._schemas: dict[tuple[str, str, int], type[Schema]] = {}
        # One instance per contract, built on first use: building a schema (its fields deep-copied,
        # nested schemas built again) cost more than validating with it, on every append and message.
        self._instances: dict[tuple[str, str, int], Schema | None] = {}
        # Per (source, type), not per version: a type's messages share one routing key.
        self._off_broker: set[tuple[str, str]] = set()
        self._on_broker: dict[tuple[str, str], bool] = {}   # answers of on_broker (asked on every append)
        self._loaded = False

    def register(self, source: str, event_type: str, version: int = 1, *, on_broker: bool = True):
        """Class decorator: ``@registry.register("projects", "ProjectCreated", 1)``; ``on_broker=False``
        for an event read only from its own service's store (no outbox row, never published)."""
        def decorate(schema_cls: type[Schema]) -> type[Schema]:
            kind = (source, event_type)
            others = any(key[:2] == kind and key[2] != version for key in self._schemas)
            if others and (kind not in self._off_broker) != on_broker:
                raise ValueError(f"{source}.{event_type}: every version must agree on on_broker")
            self._schemas[(source, event_type, version)] = schema_cls
            self._instances.pop((source, event_type, version), None)
            if on_broker:
                self._off_broker.discard(kind)
            else:
                self._off_broker.add(kind)
            self._on_broker.pop(kind, None)
            return schema_cls
        return decorate

    def on_broker(self, source: str, event_type: str) -> bool:
        """Whether the event is published (gets an outbox row); True for a type with no schema."""
        try:
            return self._on_broker[(source, event_type)]
        except KeyError:
            self._load_all()
            answer = self._on_broker[(source, event_type)] = (source, event_type) not in self._off_broker
            return answer

    def schema_for(self, source: str, event_type: str, version: int) -> Schema | None:
        key = (source, event_type, version)
        try:
            return self._instances[key]
        except KeyError:
            self._load_all()
            cls = self._schemas.get(key)
            schema = self._instances[key] = cls() if cls else None
            return schema

    def known(self) -> list[tuple[str, str, int]]:
        self._load_all()
        return sorted(self._schemas)

    def validate(self, source: str, event_type: str, version: int, data: dict) -> dict:
        schema = self.schema_for(source, event_type, version)
        if schema is None:
            return data
        try:
            schema.load(data)
        except ValidationError as exc:
            raise InvalidInput("invalid_event_payload",
                               f"The payload of {source}.{event_type} v{version} is invalid.",
                               f"事件 {source}.{event_type} v{version} 的内容无效。",
                               exc.normalized_messages()) from exc
        return data

    def _load_all(self):
        # Import every contracts module once, so a consumer validates without importing producers.
        if self._loaded:
            return
        self._loaded = True
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")


registry = EventRegistry()
