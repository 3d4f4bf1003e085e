"""Public events of the backups service (consumed by registry-sync, HGRG, …).

The codes are spelled out here rather than imported from the backups service: a consumer
validates without installing the producer, and a new code is a contract change anyway.
"""
from marshmallow import RAISE, Schema, fields, validate

from . import registry

CATEGORY_CODES = ("wgs", "chip", "wes", "targeted", "epigenome", "transcriptome")
DETAILED_TYPE_CODES = ("raw_sequencing", "genome_assembly", "genome_variation", "variation_chip",
                       "gwas", "sequence_biomarker", "chip_raw", "chip_analysis", "other_biomarker",
                       "analysis_statistics")
REPOSITORY_CODES = ("GSA-Human", "GWH", "GVM", "GenBase", "OMIX")
BACKUP_NUMBER = r"^BF\d{8}\d{5}$"   # BF + Beijing date YYYYMMDD + 5-digit daily serial


class _Closed(Schema):
    class Meta:
        unknown = RAISE  # v1 is a closed contract: a new field means a new schema version


class SubmittedFileV1(_Closed):
    file_id = fields.UUID(required=True)
    detailed_type = fields.String(required=True, validate=validate.OneOf(DETAILED_TYPE_CODES))
    repository = fields.String(required=True, validate=validate.OneOf(REPOSITORY_CODES))
    accession = fields.String(required=True, validate=validate.Length(min=1, max=64))
    cases = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    mb_per_case = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))


@registry.register("backups", "BackupSubmitted", 1)
class BackupSubmittedV1(_Closed):
    """A backup was submitted: it has its number and is locked (files can no longer change)."""
    backup_id = fields.UUID(required=True)
    backup_number = fields.String(required=True, validate=validate.Regexp(BACKUP_NUMBER))
    project_id = fields.UUID(required=True)
    project_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORY_CODES)), required=True,
                             validate=validate.Length(min=1))
    owner_id = fields.UUID(required=True)
    institution_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    unit_code = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64))
    pi_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    pi_email = fields.Email(required=True, validate=validate.Length(max=254))
    file_count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    total_mb = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    submitted_at = fields.AwareDateTime(required=True)
    files = fields.List(fields.Nested(SubmittedFileV1), required=True, validate=validate.Length(min=1))


LEGACY_OR_NEW_NUMBER = r"^BF\d{6,20}$"   # legacy numbers from the old platform share the BF prefix
CLAIM_WAYS = ("auto", "sms", "institution")


@registry.register("backups", "FilingLinked", 1)
class FilingLinkedV1(_Closed):
    """HGRG filed a prior report (事先报告) citing this backup: the filing number (备案号) is linked."""
    backup_id = fields.UUID(required=True)
    filing_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    declared_mb = fields.Float(required=True, validate=validate.Range(min=0))
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=200))
    filed_at = fields.AwareDateTime(required=True)


@registry.register("backups", "BackupDelegated", 1)
class BackupDelegatedV1(_Closed):
    """A legal person or unit administrator moved the backup to another member (委托调整).

    ``backup_number`` is null for a backup not yet submitted (it moves with the others).
    ``sequence`` is the backup stream's version: of two changes, the higher one is the newer.
    """
    backup_id = fields.UUID(required=True)
    backup_number = fields.String(required=True, allow_none=True,
                                  validate=validate.Regexp(LEGACY_OR_NEW_NUMBER))
    transfer_id = fields.UUID(required=True)
    from_owner_id = fields.UUID(required=True)
    to_owner_id = fields.UUID(required=True)
    to_username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    institution_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    unit_code = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64))
    delegated_by = fields.UUID(required=True)
    delegated_at = fields.AwareDateTime(required=True)
    sequence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@registry.register("backups", "BackupClaimed", 1)
class BackupClaimedV1(_Closed):
    """A legacy backup (numbered on the old platform) was claimed: it now has an owner, once and for
    all. ``how``: ``auto`` (attached at the owner's first login), ``sms`` (the natural person
    proved the old mobile), ``institution`` (a legal person or unit admin chose the delegate)."""
    backup_id = fields.UUID(required=True)
    backup_number = fields.String(required=True, validate=validate.Regexp(LEGACY_OR_NEW_NUMBER))
    owner_id = fields.UUID(required=True)
    owner_username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    institution_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    unit_code = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64))
    how = fields.String(required=True, validate=validate.OneOf(CLAIM_WAYS))
    claimed_by = fields.UUID(required=True)   # the claimant, the administrator, or the owner (auto)
    claimed_at = fields.AwareDateTime(required=True)
    sequence = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


@registry.register("backups", "DelegationTransferred", 1)
class DelegationTransferredV1(_Closed):
    """All backups and projects of one natural person moved to another member (stream
    ``delegation-<transfer_id>``); projects consumes it to move the projects."""
    transfer_id = fields.UUID(required=True)
    from_owner_id = fields.UUID(required=True)
    to_owner_id = fields.UUID(required=True)
    to_username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    institution_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    to_unit_code = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=64))
    project_ids = fields.List(fields.UUID(), required=True)
    backup_ids = fields.List(fields.UUID(), required=True)
    transferred_by = fields.UUID(required=True)
    transferred_at = fields.AwareDateTime(required=True)
