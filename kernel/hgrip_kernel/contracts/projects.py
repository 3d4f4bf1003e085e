"""Public events of the projects service (consumed by backups, HGRG, …)."""
from marshmallow import RAISE, Schema, fields, validate

from . import registry


@registry.register("projects", "ProjectCreated", 1)
class ProjectCreatedV1(Schema):
    """A natural person created a project; its details never change (only its owner may, by a
    delegation transfer: ProjectDelegated)."""

    class Meta:
        unknown = RAISE  # v1 is a closed contract: a new field means a new schema version

    project_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    pi_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    # The key for matching repository submission accounts later (brief §3 step 3).
    pi_email = fields.Email(required=True, validate=validate.Length(max=254))
    institution_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    institution_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit_code = fields.String(required=True, allow_none=True,
                              validate=validate.Length(min=1, max=64))
    unit_name = fields.String(required=True, allow_none=True,
                              validate=validate.Length(min=1, max=200))
    owner_id = fields.UUID(required=True)
    owner_username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    created_at = fields.AwareDateTime(required=True)


@registry.register("projects", "ProjectDelegated", 1)
class ProjectDelegatedV1(Schema):
    """The project moved to another natural person of the same institution with a delegation
    transfer (backups.DelegationTransferred ``transfer_id``); idempotent per (project, transfer)."""

    class Meta:
        unknown = RAISE

    project_id = fields.UUID(required=True)
    transfer_id = fields.UUID(required=True)
    from_owner_id = fields.UUID(required=True)
    to_owner_id = fields.UUID(required=True)
    to_username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit_code = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64))
    unit_name = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=200))
    delegated_by = fields.UUID(required=True)
    delegated_at = fields.AwareDateTime(required=True)
