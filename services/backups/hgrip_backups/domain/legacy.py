"""Legacy backups: numbered on the old platform, imported, then claimed (manual "备份认领").

A legacy backup arrives whole, with its number, from the old platform's export
(``LegacyBackupImported``). It has no owner until it is claimed, exactly once
(``BackupClaimed``): at the registrant's first login when name, mobile and institution all match
(``auto``), by a natural person who proves the old mobile with an SMS code (``sms``), or by a legal
person / unit administrator for a delegate of the same institution (``institution``). Once claimed it
is an ordinary numbered (locked) backup of its owner; it is never claimed again.

The registrant is kept as the rules need it: the name, the institution's name as typed on the old
platform, the mobile only as a keyed hash (domain/mobile.py) and masked for display.

This module holds the legacy value objects and rules; the commands and events of a legacy backup
are the Backup aggregate's own (backup.py imports this module, never the other way round).
"""
import hashlib
import uuid
from dataclasses import dataclass

from . import refusals
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
