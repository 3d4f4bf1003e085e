"""Validation of RPC payloads. Field errors come back as one ``invalid_input`` with details."""
from marshmallow import RAISE, Schema, fields, validate

from hgrip_kernel import field_rules
from hgrip_kernel.contracts.backups import DelegationTransferredV1
from hgrip_kernel.schema_fields import (
    AFTER_TRIMMING_ERROR,
    EMAIL_ERROR,
    Trimmed,
    email_rules,
    load_object,
    text_rules,
)

from ..domain import ProjectDetails, Transfer


class CreateProjectSchema(Schema):
    class Meta:
        # Unknown keys are refused, so that e.g. an "institution" sent by a client is never
        # mistaken for accepted: the institution always comes from the account's authorisation.
        unknown = RAISE

    # Names are shown in lists and e-mails; control characters would garble them.
    name = Trimmed(required=True, validate=text_rules(1, field_rules.NAME_MAX, error=AFTER_TRIMMING_ERROR))
    pi_name = Trimmed(required=True, validate=text_rules(1, field_rules.PI_NAME_MAX, error=AFTER_TRIMMING_ERROR))
    pi_email = Trimmed(required=True, validate=email_rules(error=EMAIL_ERROR))
    # Checked by the domain (its own code, consent_required), so any value passes here.
    consent = fields.Raw(load_default=None, allow_none=True)


_create = CreateProjectSchema()


def load_create_project(payload) -> tuple[ProjectDetails, object]:
    """Return (details, consent) or raise InvalidInput("invalid_input", details per field)."""
    values = load_object(_create, payload)
    details = ProjectDetails(name=values["name"], pi_name=values["pi_name"],
                             pi_email=values["pi_email"])
    return details, values["consent"]


_transfer = DelegationTransferredV1()  # the event's contract is the payload's schema


def load_transfer(payload) -> Transfer:
    """The transfer_projects payload (the event's data) or InvalidInput("invalid_input")."""
    values = load_object(_transfer, payload)
    return Transfer(
        transfer_id=str(values["transfer_id"]), from_owner_id=str(values["from_owner_id"]),
        to_owner_id=str(values["to_owner_id"]), to_username=values["to_username"],
        institution_code=values["institution_code"], to_unit_code=values["to_unit_code"],
        project_ids=tuple(dict.fromkeys(str(pid) for pid in values["project_ids"])),
        transferred_by=str(values["transferred_by"]), transferred_at=values["transferred_at"])


class _NamesSchema(Schema):
    names = fields.List(fields.String(validate=validate.Length(min=1, max=field_rules.NAME_MAX)), required=True)


_names = _NamesSchema()


def load_names(names) -> list[str]:
    """A list of project names (1–200 characters each), or InvalidInput("invalid_input")."""
    return load_object(_names, {"names": names})["names"]
