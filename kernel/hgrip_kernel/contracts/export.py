"""JSON Schema (draft 2020-12) of published messages, generated from the marshmallow contracts.

``message_schema(event)`` describes the full AMQP body the outbox relay sends (the envelope with
``data`` per the event's contract). Only the field and validator kinds the contracts use are
translated; anything else raises, so the generator never emits a silently looser schema.
``hgrip contracts export DIR`` writes the files; a kernel test fails if the committed ones drift.
"""
import json
import re
from pathlib import Path

from marshmallow import RAISE, Schema, fields, validate

from ..envelope import EnvelopeSchema
from . import registry
from .published import PublishedEvent, published_events

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR_IN_REPO = "contracts/jsonschema"   # relative to the repository root


class UnsupportedField(TypeError):
    pass


def _anchored(pattern: str) -> str:
    # marshmallow's Regexp uses re.match (anchored at the start); JSON Schema's pattern searches.
    return pattern if pattern.startswith("^") else "^" + pattern


def _apply_validators(field: fields.Field, out: dict) -> None:
    validators = list(field.validators)
    for v in validators:
        if isinstance(v, validate.Length):
            if out.get("type") == "array":
                keys = ("minItems", "maxItems")
            else:
                keys = ("minLength", "maxLength")
            if v.equal is not None:
                out[keys[0]] = out[keys[1]] = v.equal
            if v.min is not None:
                out[keys[0]] = v.min
            if v.max is not None:
                out[keys[1]] = v.max
        elif isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Regexp):
            pattern = v.regex.pattern if isinstance(v.regex, re.Pattern) else v.regex
            out["pattern"] = _anchored(pattern if isinstance(pattern, str) else pattern.decode())
        elif isinstance(v, validate.Email):
            out["format"] = "email"      # fields.Email adds this validator itself
        elif isinstance(v, validate.URL):
            out["format"] = "uri"
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum" if v.min_inclusive else "exclusiveMinimum"] = v.min
            if v.max is not None:
                out["maximum" if v.max_inclusive else "exclusiveMaximum"] = v.max
        else:
            raise UnsupportedField(f"validator {type(v).__name__} on {field!r} has no JSON Schema translation")


def _nested_schema(field: fields.Nested) -> Schema:
    """The schema a Nested field holds: an instance, a class, or a callable returning either."""
    target = field.nested
    if callable(target) and not isinstance(target, type):
        target = target()
    if isinstance(target, Schema):
        return target
    if isinstance(target, type) and issubclass(target, Schema):
        return target()
    raise UnsupportedField(f"nested {target!r} on {field!r} is not a marshmallow Schema")


def field_schema(field: fields.Field) -> dict:
    # Order matters: subclasses before their bases (Email/UUID are Strings, AwareDateTime is a DateTime).
    if isinstance(field, fields.Nested):
        out = object_schema(_nested_schema(field))
        if field.many:
            out = {"type": "array", "items": out}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, fields.UUID):
        out = {"type": "string", "format": "uuid"}
    elif isinstance(field, fields.Email):
        out = {"type": "string", "format": "email"}
    elif isinstance(field, (fields.AwareDateTime, fields.DateTime)):
        out = {"type": "string", "format": "date-time"}
    elif isinstance(field, fields.Date):
        out = {"type": "string", "format": "date"}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, (fields.Float, fields.Decimal, fields.Number)):
        out = {"type": "number"}
    elif isinstance(field, fields.Dict):
        out = {"type": "object"}
    else:
        raise UnsupportedField(f"field {type(field).__name__} has no JSON Schema translation")
    _apply_validators(field, out)
    if field.allow_none:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = out["enum"] + [None]
    if field.metadata.get("description"):
        out["description"] = field.metadata["description"]
    return out


def object_schema(schema: Schema, all_required: bool = False) -> dict:
    props, required = {}, []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        props[key] = field_schema(field)
        if field.required or all_required:
            required.append(key)
    out: dict[str, object] = {"type": "object", "properties": props, "required": required}
    if schema.unknown == RAISE:
        out["additionalProperties"] = False   # a closed contract: a new field is a new version
    return out


def message_schema(event: PublishedEvent) -> dict:
    """The JSON Schema of the AMQP body of one published event version."""
    contract = None if event.version is None else registry.schema_for(event.source, event.event_type, event.version)
    if contract is None:
        raise LookupError(f"no marshmallow contract registered for {event.name}")
    # The relay always sends every envelope key (null where absent), so all are required; the
    # envelope stays open (newer producers may add envelope fields, readers ignore them).
    body = object_schema(EnvelopeSchema(), all_required=True)
    body["properties"]["event_type"] = {"const": event.event_type}
    body["properties"]["schema_version"] = {"const": event.version}
    body["properties"]["source"] = {"const": event.source}
    body["properties"]["stream_type"] = {"const": event.stream_type}
    data = object_schema(contract)
    doc = (type(contract).__doc__ or "").strip()
    if doc:
        data["description"] = doc
    body["properties"]["data"] = data
    body.pop("additionalProperties", None)
    return {
        "$schema": DRAFT,
        "$id": f"urn:hgrip:event:{event.routing_key}:v{event.version}",
        "title": f"{event.routing_key} v{event.version}",
        "description": (f"{event.summary} Message body on exchange hgrip.published, routing key "
                        f"{event.routing_key}. Generated from hgrip_kernel.contracts.{event.source}; "
                        f"do not edit (hgrip contracts export)."),
        **body,
    }


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """File name -> content of every published event's JSON Schema."""
    return {event.schema_file: render(message_schema(event)) for event in published_events()}


def export(directory: str | Path) -> list[Path]:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in generated_files().items():
        path = target / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def drift(directory: str | Path) -> list[str]:
    """Names of schema files that are missing, stale, or no longer generated in ``directory``."""
    target = Path(directory)
    expected = generated_files()
    present = {p.name for p in target.glob("*.json")} if target.is_dir() else set()
    problems = [name for name, content in expected.items()
                if name not in present or (target / name).read_text(encoding="utf-8") != content]
    problems += sorted(present - set(expected))
    return problems
