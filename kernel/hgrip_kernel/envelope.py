"""The event envelope: identity, position and provenance of every stored or published event."""
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from .errors import InvalidInput


@dataclass(frozen=True)
class Envelope:
    event_id: str
    event_type: str
    schema_version: int
    source: str
    stream_type: str
    stream_id: str
    stream_version: int
    occurred_at: datetime
    actor: str | None
    correlation_id: str
    causation_id: str | None
    data: dict
    position: int | None = None

    def with_position(self, position: int) -> "Envelope":
        return replace(self, position=position)

    @property
    def routing_key(self) -> str:
        return f"{self.source}.{self.event_type}"


_NAME = validate.Regexp(r"^[A-Za-z][A-Za-z0-9_\-]*$")


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # newer producers may add envelope fields; old readers ignore them

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=[_NAME, validate.Length(max=100)])
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=[_NAME, validate.Length(max=50)])
    stream_type = fields.String(required=True, validate=[_NAME, validate.Length(max=50)])
    stream_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stream_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    actor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    causation_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    data = fields.Dict(keys=fields.String(), required=True)
    position = fields.Integer(load_default=None, allow_none=True)

    @post_load
    def make(self, values, **kwargs):
        values["event_id"] = str(values["event_id"])
        return Envelope(**values)


_schema = EnvelopeSchema()


def dump_envelope(envelope: Envelope) -> dict:
    """JSON-ready dict (ISO timestamps) of a valid envelope."""
    return _schema.dump(envelope)


def load_envelope(raw: dict) -> Envelope:
    """Validate a JSON dict and return an Envelope, or raise InvalidInput naming the bad fields."""
    try:
        return _schema.load(raw)
    except ValidationError as exc:
        raise InvalidInput("invalid_envelope", "The event envelope is invalid.",
                           "事件信封格式无效。", exc.normalized_messages()) from exc


def check_envelope(envelope: Envelope) -> dict:
    """The JSON form of an envelope about to be written, refused if a reader would refuse it."""
    raw = _schema.dump(envelope)
    errors = _schema.validate(raw)
    if errors:
        raise InvalidInput("invalid_envelope", "The event envelope is invalid.", "事件信封格式无效。", errors)
    return raw


def validate_envelope(envelope: Envelope) -> Envelope:
    """Round-trip through the schema: what we write is exactly what a reader will accept."""
    return load_envelope(dump_envelope(envelope))


def utcnow() -> datetime:
    return datetime.now(UTC)


__all__ = ["Envelope", "EnvelopeSchema", "check_envelope", "dump_envelope", "load_envelope", "validate_envelope",
           "utcnow", "asdict"]
