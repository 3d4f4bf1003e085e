"""Validation of RPC payloads. Field errors come back as one ``invalid_input`` with details."""
from dataclasses import dataclass
from datetime import datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from hgrip_kernel.contracts.backups import DelegationTransferredV1
from hgrip_kernel.errors import invalid_input

from .domain import ProjectDetails


class Trimmed(fields.String):
    """A string with surrounding whitespace removed before any length rule is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _text(low: int, high: int) -> list:
    return [validate.Length(min=low, max=high,
                            error=f"Must be between {low} and {high} characters (after trimming)."),
            # Names are shown in lists and e-mails; control characters would garble them.
            validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Must not contain control characters.")]


class CreateProjectSchema(Schema):
    class Meta:
        # Unknown keys are refused, so that e.g. an "institution" sent by a client is never
        # mistaken for accepted: the institution always comes from the account's authorisation.
        unknown = RAISE

    name = Trimmed(required=True, validate=_text(1, 200))
    pi_name = Trimmed(required=True, validate=_text(1, 50))
    pi_email = Trimmed(required=True, validate=[
        validate.Length(max=254), validate.Email(error="Not a valid e-mail address.")])
    # Checked by the domain (its own code, consent_required), so any value passes here.
    consent = fields.Raw(load_default=None, allow_none=True)


_create = CreateProjectSchema()


def _load(schema: Schema, payload) -> dict:
    """The loaded values, or InvalidInput("invalid_input") with details per field."""
    if not isinstance(payload, dict):
        raise invalid_input({"_schema": ["The payload must be an object."]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise invalid_input(exc.normalized_messages()) from exc


def load_create_project(payload) -> tuple[ProjectDetails, object]:
    """Return (details, consent) or raise InvalidInput("invalid_input", details per field)."""
    values = _load(_create, payload)
    details = ProjectDetails(name=values["name"], pi_name=values["pi_name"],
                             pi_email=values["pi_email"])
    return details, values["consent"]


@dataclass(frozen=True)
class Transfer:
    """A backups.DelegationTransferred payload, validated; ids in canonical lower-case form."""
    transfer_id: str
    from_owner_id: str
    to_owner_id: str
    to_username: str
    institution_code: str
    to_unit_code: str | None
    project_ids: tuple[str, ...]   # without repeats, in the given order
    transferred_by: str
    transferred_at: datetime


_transfer = DelegationTransferredV1()  # the event's contract is the payload's schema


def load_transfer(payload) -> Transfer:
    """The transfer_projects payload (the event's data) or InvalidInput("invalid_input")."""
    values = _load(_transfer, payload)
    return Transfer(
        transfer_id=str(values["transfer_id"]), from_owner_id=str(values["from_owner_id"]),
        to_owner_id=str(values["to_owner_id"]), to_username=values["to_username"],
        institution_code=values["institution_code"], to_unit_code=values["to_unit_code"],
        project_ids=tuple(dict.fromkeys(str(pid) for pid in values["project_ids"])),
        transferred_by=str(values["transferred_by"]), transferred_at=values["transferred_at"])


class _NamesSchema(Schema):
    names = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True)


_names = _NamesSchema()


def load_names(names) -> list[str]:
    """A list of project names (1–200 characters each), or InvalidInput("invalid_input")."""
    return _load(_names, {"names": names})["names"]
