"""What registry-sync needs of ``backups.BackupSubmitted`` v1 (docs/backup-lifecycle.md).

The kernel's contract registry validates the full payload on receipt once backups registers it;
this check stands on its own so that a malformed payload is refused here, before anything is
recorded, and never pushed to HGRG. Unknown fields pass: the payload is forwarded to HGRG as
published, and closing the contract is the producer's business.
"""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from hgrip_kernel.errors import InvalidInput

BACKUP_NUMBER = r"^BF\d{8}\d{5}$"   # BF + Beijing date YYYYMMDD + 5-digit daily serial


class _Open(Schema):
    class Meta:
        unknown = EXCLUDE


class SubmittedFile(_Open):
    file_id = fields.UUID(required=True)
    detailed_type = fields.String(required=True)
    repository = fields.String(required=True)
    accession = fields.String(required=True)
    cases = fields.Integer(required=True, strict=True)
    mb_per_case = fields.Float(required=True)


class BackupSubmitted(_Open):
    backup_id = fields.UUID(required=True)
    backup_number = fields.String(required=True, validate=validate.Regexp(BACKUP_NUMBER))
    project_id = fields.UUID(required=True)
    project_name = fields.String(required=True)
    name = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)
    owner_id = fields.UUID(required=True)
    institution_code = fields.String(required=True)
    unit_code = fields.String(required=True, allow_none=True)
    pi_name = fields.String(required=True)
    pi_email = fields.String(required=True)
    file_count = fields.Integer(required=True, strict=True)
    total_mb = fields.Float(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    files = fields.List(fields.Nested(SubmittedFile), required=True)


_schema = BackupSubmitted()


def check_backup_submitted(data: dict) -> tuple[str, str]:
    """(backup_number, backup_id) of a valid payload; InvalidInput naming the bad fields otherwise."""
    try:
        values = _schema.load(data)
    except ValidationError as exc:
        raise InvalidInput("invalid_backup_submitted", "The BackupSubmitted payload is invalid.",
                           "备份提交事件内容无效。", exc.normalized_messages()) from exc
    return values["backup_number"], str(values["backup_id"])
