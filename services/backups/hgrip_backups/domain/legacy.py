"""Legacy backups: numbered on the old platform, imported, then claimed (manual "备份认领").

A legacy backup arrives whole, with its number, from the old platform's export
(``LegacyBackupImported``). It has no owner until it is claimed, exactly once
(``BackupClaimed``): at the registrant's first login when name, mobile and institution all match
(``auto``), by a natural person who proves the old mobile with an SMS code (``sms``), or by a legal
person / unit administrator for a delegate of the same institution (``institution``). Once claimed it
is an ordinary numbered (locked) backup of its owner; it is never claimed again.

The registrant is kept as the rules need it: the name, the institution's name as typed on the old
platform, the mobile only as a keyed hash (domain/mobile.py) and masked for display.
"""
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from . import refusals
from .data_file import COMPLETE, DataFile
from .names import name_key

LEGACY = "legacy"
# backup id = uuid5(LEGACY_NAMESPACE, legacy backup number): importing a number twice names one stream.
LEGACY_NAMESPACE = uuid.UUID("4a6f1d9e-2c57-5b0e-9d3a-6b1f0c8e7a52")
AUTO, SMS, INSTITUTION = "auto", "sms", "institution"
CLAIM_WAYS = (AUTO, SMS, INSTITUTION)
SMS_PURPOSE = "legacy_claim"


def legacy_backup_id(backup_number: str) -> str:
    return str(uuid.uuid5(LEGACY_NAMESPACE, backup_number))


def legacy_file_id(backup_id: str, position: int, accession: str) -> str:
    return str(uuid.uuid5(uuid.UUID(backup_id), f"file:{position}:{accession}"))


@dataclass(frozen=True)
class Registrant:
    """Who registered legacy backups on the old platform, as the claim rules compare them."""
    name: str
    mobile_hash: str
    mobile_masked: str
    institution_name: str

    @property
    def name_key(self) -> str:
        return name_key(self.name)

    @property
    def institution_key(self) -> str:
        return name_key(self.institution_name)

    def as_dict(self) -> dict:
        return {"name": self.name, "mobile_masked": self.mobile_masked,
                "mobile_hash": self.mobile_hash, "institution_name": self.institution_name}


@dataclass(frozen=True)
class NewOwner:
    """The account a legacy backup moves to, placed as identity knows it now."""
    account_id: str
    username: str
    institution_code: str
    unit_code: str | None


def claim_subject(claimant_id: str, registrant_name_key: str, mobile_hash: str) -> str:
    """What an SMS code is sent for: one claimant, one registrant. A code sent to the old mobile for
    one claimant cannot be entered by another, nor for another registrant (64 hex characters)."""
    text = f"{SMS_PURPOSE}\n{claimant_id}\n{registrant_name_key}\n{mobile_hash}"
    return hashlib.sha256(text.encode()).hexdigest()


def check_same_institution(registrant_institution: str, claimant_institution: str | None) -> None:
    """The manual: 新委托人必须与原系统注册人属于同一家单位（公司）. Names are compared tolerantly
    (full/half width, brackets, spaces, case); any other difference refuses the claim."""
    key = name_key(claimant_institution)
    if not key or key != name_key(registrant_institution):
        raise refusals.claim_other_institution(registrant_institution, claimant_institution)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class LegacyMixin:
    """Commands and event handlers of the Backup aggregate for legacy backups."""

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.registrant: dict | None = None
        self.imported_at: str | None = None
        self.claimed_at: str | None = None
        self.claimed_how: str | None = None
        self.claimed_by: str | None = None

    @property
    def claimed(self) -> bool:
        return self.claimed_at is not None

    # --- commands ----------------------------------------------------------------------------
    @classmethod
    def import_legacy(cls, record: dict, registrant: Registrant, now: datetime):
        """A legacy backup from the old platform's export. ``record`` is already validated:
        backup_number, name, project_name, pi_name|None, pi_email|None, categories (codes),
        submitted_at (aware), files [{detailed_type, repository, accession, cases, mb_per_case}]."""
        from .backup import backup_stream_id  # backup.py imports this module

        backup_id = legacy_backup_id(record["backup_number"])
        backup = cls(backup_stream_id(backup_id))
        backup.record("LegacyBackupImported", {
            "backup_id": backup_id, "backup_number": record["backup_number"],
            "name": record["name"], "project_name": record["project_name"],
            "pi_name": record.get("pi_name"), "pi_email": record.get("pi_email"),
            "categories": list(record.get("categories") or []),
            "submitted_at": _iso(record["submitted_at"]),
            "files": [{"file_id": legacy_file_id(backup_id, position, f["accession"]),
                       "detailed_type": f["detailed_type"], "repository": f["repository"],
                       "accession": f["accession"], "cases": f["cases"],
                       "mb_per_case": f["mb_per_case"]}
                      for position, f in enumerate(record["files"], start=1)],
            "registrant": registrant.as_dict(), "imported_at": _iso(now),
        })
        return backup

    def claim(self, owner: NewOwner, how: str, claimed_by: str, now: datetime) -> None:
        """The legacy backup gets its owner, once and for all."""
        if self.origin != LEGACY:
            raise refusals.not_a_legacy_backup()
        if self.claimed:
            raise refusals.legacy_already_claimed()
        if how not in CLAIM_WAYS:
            raise ValueError(f"unknown way of claiming: {how!r}")
        self.record("BackupClaimed", {
            "backup_id": self.backup_id, "backup_number": self.backup_number,
            "owner_id": owner.account_id, "owner_username": owner.username,
            "institution_code": owner.institution_code, "unit_code": owner.unit_code,
            "how": how, "claimed_by": claimed_by, "claimed_at": _iso(now),
            "sequence": self.version + len(self.pending) + 1,
        })

    # --- events ------------------------------------------------------------------------------
    def apply_LegacyBackupImported(self, data: dict) -> None:
        self.origin = LEGACY
        self.backup_id = data["backup_id"]
        self.backup_number = data["backup_number"]
        self.name = data["name"]
        self.project_name = data["project_name"]
        # The read model wants text; the old platform did not always record its PI.
        self.pi_name = data["pi_name"] or ""
        self.pi_email = data["pi_email"] or ""
        self.categories = list(data["categories"])
        self.submitted_at = self.created_at = data["submitted_at"]
        self.files = {f["file_id"]: DataFile(
            id=f["file_id"], detailed_type=f["detailed_type"], repository=f["repository"],
            cases=f["cases"], mb_per_case=f["mb_per_case"], submission_account="",
            accession=f["accession"], progress=COMPLETE, created_at=data["submitted_at"],
            updated_at=data["submitted_at"]) for f in data["files"]}
        self.registrant = dict(data["registrant"])
        self.imported_at = data["imported_at"]

    def apply_BackupClaimed(self, data: dict) -> None:
        self.owner_id = data["owner_id"]
        self.institution_code = data["institution_code"]
        self.unit_code = data["unit_code"]
        self.claimed_at = data["claimed_at"]
        self.claimed_how = data["how"]
        self.claimed_by = data["claimed_by"]
