"""Public events of the verification service (consumed by backups)."""
from marshmallow import RAISE, Schema, fields, validate

from . import registry

REPOSITORIES = ("GSA-Human", "GWH", "GVM", "GenBase", "OMIX")


@registry.register("verification", "DatasetVerified", 1)
class DatasetVerifiedV1(Schema):
    """The submission account's owner entered the right code: the file may use the dataset."""

    class Meta:
        unknown = RAISE  # v1 is a closed contract: a new field means a new schema version

    file_id = fields.UUID(required=True)
    backup_id = fields.UUID(required=True)
    repository = fields.String(required=True, validate=validate.OneOf(REPOSITORIES))
    accession = fields.String(required=True, validate=validate.Length(min=1, max=64))
    verified_at = fields.AwareDateTime(required=True)
