"""The Backup aggregate (stream ``backup-<uuid>``): a backup under a project, holding its data files.

Rules from the manual ("备份创建") and docs/backup-lifecycle.md. Commands check every rule first
and record events only when all pass, so a refusal changes nothing. Asking the repository whether
an account owns a dataset is a remote call the domain cannot make: a command that needs an answer
it has not been given raises ``DatasetCheckNeeded``; the caller asks outside any transaction and
runs the command again with the answer.
"""
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from hgrip_kernel.aggregate import Aggregate
from hgrip_kernel.field_rules import NAME_MAX

from . import refusals, taxonomy
from .backup_number import beijing_day, format_backup_number
from .data_file import (
    COMPLETE,
    CORRECTABLE_WHEN_LOCKED,
    DataFile,
    FileDetails,
    progress_for,
    total_mb,
)
from .legacy import CLAIM_WAYS, LEGACY, NewOwner, Registrant, legacy_backup_id, legacy_file_id

STREAM_PREFIX = "backup-"
DRAFT = "draft"            # 未完成
COMPLETED = "completed"    # 已完成: submitted, numbered, locked

# Outcomes of a dataset confirmation (verify_file, or verification.DatasetVerified).
APPLIED = "applied"
ALREADY_COMPLETE = "already_complete"
FILE_GONE = "file_gone"
DATASET_CHANGED = "dataset_changed"

Dataset = tuple[str, str, str]  # (repository, accession, submission_account)


def backup_stream_id(backup_id: str) -> str:
    return f"{STREAM_PREFIX}{backup_id}"


class DatasetCheckNeeded(Exception):
    """The repository must confirm that this account submitted this dataset before it is saved."""

    def __init__(self, dataset: Dataset):
        super().__init__(dataset)
        self.dataset = dataset


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def clean_name(name) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= NAME_MAX:
        raise refusals.invalid_name([f"Must be between 1 and {NAME_MAX} characters (after trimming)."])
    return name


def check_categories(categories) -> list[str]:
    if not isinstance(categories, (list, tuple)) or not categories:
        raise refusals.invalid_categories(["Choose at least one content category."])
    unknown = [c for c in categories if c not in taxonomy.CATEGORIES]
    if unknown:
        raise refusals.invalid_categories([f"Unknown content category: {c}" for c in unknown])
    if len(set(categories)) != len(categories):
        raise refusals.invalid_categories(["Each content category may be chosen once."])
    return list(categories)


class Backup(Aggregate):
    stream_type = "backup"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.backup_id: str | None = None
        self.project_id: str | None = None
        self.project_name: str | None = None
        self.owner_id: str | None = None
        self.name: str | None = None
        self.categories: list[str] = []
        self.pi_name: str | None = None
        self.pi_email: str | None = None
        self.institution_code: str | None = None
        self.unit_code: str | None = None
        self.created_at: str | None = None
        self.files: dict[str, DataFile] = {}   # in the order they were added
        self.backup_number: str | None = None
        self.submitted_at: str | None = None
        # HGRG filing numbers (备案号) citing this backup: number -> {declared_mb, recipient, filed_at}
        self.filings: dict[str, dict] = {}
        self.origin = "new"    # "legacy": numbered on the old platform, imported (domain/legacy.py)
        # A legacy backup's registrant on the old platform, and its claim (BackupClaimed).
        self.registrant: dict | None = None
        self.imported_at: str | None = None
        self.claimed_at: str | None = None
        self.claimed_how: str | None = None
        self.claimed_by: str | None = None

    # --- state -------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.backup_number is not None

    @property
    def status(self) -> str:
        return COMPLETED if self.locked else DRAFT

    @property
    def total_mb(self):
        return total_mb(self.files.values())

    @property
    def claimed(self) -> bool:
        return self.claimed_at is not None

    def file(self, file_id: str) -> DataFile:
        found = self.files.get(file_id)
        if found is None:
            raise refusals.file_not_found()
        return found

    # --- commands ----------------------------------------------------------------------------
    @classmethod
    def create(cls, backup_id: str, project: dict, name: str, categories: list[str],
               now: datetime) -> "Backup":
        """A backup under ``project`` (as projects.get_project returns it, already the actor's).

        The project's PI, institution and owner are copied in: the backup number goes to HGRG
        with them, and the PI e-mail decides which files need a verification code.
        """
        name, categories = clean_name(name), check_categories(categories)
        unit = project.get("unit") or None
        backup = cls(backup_stream_id(backup_id))
        backup.record("BackupCreated", {
            "backup_id": backup_id, "project_id": project["id"], "project_name": project["name"],
            "owner_id": project["owner_id"], "name": name, "categories": categories,
            "pi_name": project["pi_name"], "pi_email": project["pi_email"],
            "institution_code": project["institution"]["code"],
            "unit_code": unit["code"] if unit else None, "created_at": _iso(now),
        })
        return backup

    def update(self, name: str | None = None, categories: list[str] | None = None) -> None:
        """Rename and/or change categories; values equal to the current ones are no change."""
        new_name = clean_name(name) if name is not None else self.name
        new_categories = check_categories(categories) if categories is not None else self.categories
        renamed = new_name != self.name
        recategorised = set(new_categories) != set(self.categories)
        if not (renamed or recategorised):
            return
        if self.locked:
            raise refusals.backup_locked()
        if recategorised:
            allowed = taxonomy.allowed_types(new_categories)
            stranded = [f.summary() for f in self.files.values() if f.detailed_type not in allowed]
            if stranded:
                raise refusals.category_change_strands_files(stranded)
        if renamed:
            self.record("BackupRenamed", {"backup_id": self.backup_id, "name": new_name,
                                          "previous_name": self.name})
        if recategorised:
            self.record("BackupCategoriesChanged", {
                "backup_id": self.backup_id, "categories": new_categories,
                "previous_categories": list(self.categories)})

    def add_file(self, file_id: str, details: FileDetails, now: datetime,
                 confirmed: Collection[Dataset] = ()) -> DataFile:
        if self.locked:
            raise refusals.backup_locked()
        repository = self._repository_for(details.detailed_type)
        self._check_accession(repository, details.accession, file_id)
        dataset = (repository.code, details.accession, details.submission_account)
        if dataset not in confirmed:
            raise DatasetCheckNeeded(dataset)
        self.record("DataFileAdded", {
            "backup_id": self.backup_id, "file_id": file_id,
            "detailed_type": details.detailed_type, "repository": repository.code,
            "cases": details.cases, "mb_per_case": details.mb_per_case,
            "submission_account": details.submission_account, "accession": details.accession,
            "progress": progress_for(details.submission_account, self.pi_email or ""), "at": _iso(now),
        })
        return self.files[file_id]

    def update_file(self, file_id: str, changes: dict, now: datetime,
                    confirmed: Collection[Dataset] = ()) -> DataFile:
        """Apply ``changes`` (a subset of FileDetails' fields); unchanged values are ignored."""
        current = self.file(file_id)
        changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not changes:
            return current
        if self.locked and set(changes) - set(CORRECTABLE_WHEN_LOCKED):
            raise refusals.backup_locked()
        target = current.changed(**changes)
        if "detailed_type" in changes:
            target = target.changed(repository=self._repository_for(target.detailed_type).code)
        if (target.repository, target.accession) != (current.repository, current.accession):
            self._check_accession(taxonomy.REPOSITORIES[target.repository], target.accession, file_id)
        progress = current.progress
        if target.dataset != current.dataset:
            # Another dataset or account: the repository must confirm it, and progress starts
            # over by the same rule as for a new file.
            if target.dataset not in confirmed:
                raise DatasetCheckNeeded(target.dataset)
            progress = progress_for(target.submission_account, self.pi_email or "")
        target = target.changed(progress=progress)
        changed = [k for k in ("detailed_type", "repository", "cases", "mb_per_case",
                               "submission_account", "accession", "progress")
                   if getattr(target, k) != getattr(current, k)]
        self.record("DataFileUpdated", {
            "backup_id": self.backup_id, "file_id": file_id,
            "detailed_type": target.detailed_type, "repository": target.repository,
            "cases": target.cases, "mb_per_case": target.mb_per_case,
            "submission_account": target.submission_account, "accession": target.accession,
            "progress": target.progress, "changed": changed, "at": _iso(now),
        })
        return self.files[file_id]

    def delete_file(self, file_id: str, now: datetime) -> None:
        removed = self.file(file_id)
        if self.locked:
            raise refusals.backup_locked()
        self.record("DataFileRemoved", {"backup_id": self.backup_id, "file_id": file_id,
                                        "accession": removed.accession, "at": _iso(now)})

    def file_awaiting_verification(self, file_id: str) -> DataFile:
        """The file a code may be requested or entered for: it exists and is not complete."""
        found = self.file(file_id)
        if found.complete:
            raise refusals.file_already_verified()
        return found

    def dataset_verified(self, file_id: str, repository: str, accession: str,
                         verified_at: str) -> str:
        """The submitter confirmed the dataset by code; idempotent, and safe against stale news:
        nothing happens when the file is gone, complete, or now cites another dataset."""
        found = self.files.get(file_id)
        if found is None:
            return FILE_GONE
        if found.complete:
            return ALREADY_COMPLETE
        if (found.repository, found.accession) != (repository, accession):
            return DATASET_CHANGED
        self.record("DataFileVerified", {"backup_id": self.backup_id, "file_id": file_id,
                                         "repository": repository, "accession": accession,
                                         "verified_at": verified_at})
        return APPLIED

    def submit(self, now: datetime, next_serial: Callable[[str], int]) -> str:
        """Number and lock the backup. ``next_serial(day)`` allocates the day's next serial; it is
        called only once every rule has passed, inside the caller's transaction."""
        if self.locked:
            raise refusals.backup_locked()
        if not self.files:
            raise refusals.backup_has_no_files()
        pending = [f.summary() for f in self.files.values() if not f.complete]
        if pending:
            raise refusals.files_not_verified(pending)
        day = beijing_day(now)
        number = format_backup_number(day, next_serial(day))
        self.record("BackupSubmitted", {
            "backup_id": self.backup_id, "backup_number": number, "project_id": self.project_id,
            "project_name": self.project_name, "name": self.name,
            "categories": list(self.categories), "owner_id": self.owner_id,
            "institution_code": self.institution_code, "unit_code": self.unit_code,
            "pi_name": self.pi_name, "pi_email": self.pi_email,
            "file_count": len(self.files), "total_mb": self.total_mb, "submitted_at": _iso(now),
            "files": [{"file_id": f.id, "detailed_type": f.detailed_type,
                       "repository": f.repository, "accession": f.accession, "cases": f.cases,
                       "mb_per_case": f.mb_per_case} for f in self.files.values()],
        })
        return number

    def link_filing(self, filing_number: str, declared_mb, recipient: str, filed_at: str) -> bool:
        """HGRG filed a prior report citing this backup; idempotent by filing number (True when
        recorded now, False when already linked: HGRG's first word on a filing is kept)."""
        if filing_number in self.filings:
            return False
        self.record("FilingLinked", {"backup_id": self.backup_id, "filing_number": filing_number,
                                     "declared_mb": declared_mb, "recipient": recipient,
                                     "filed_at": filed_at})
        return True

    def delegate(self, transfer_id: str, to_owner_id: str, to_username: str, unit_code: str | None,
                 delegated_by: str, now: datetime) -> None:
        """委托调整: the backup moves to another natural person of the same institution (the caller
        checked membership and scope). It keeps its institution; its unit becomes the new
        delegate's, so the new delegate's unit administrator sees it."""
        if self.owner_id == to_owner_id:
            return
        self.record("BackupDelegated", {
            "backup_id": self.backup_id, "backup_number": self.backup_number,
            "transfer_id": transfer_id, "from_owner_id": self.owner_id, "to_owner_id": to_owner_id,
            "to_username": to_username, "institution_code": self.institution_code,
            "unit_code": unit_code, "delegated_by": delegated_by, "delegated_at": _iso(now),
            "sequence": self.version + len(self.pending) + 1,
        })

    # --- legacy backups (domain/legacy.py) -----------------------------------------------------
    @classmethod
    def import_legacy(cls, record: dict, registrant: Registrant, now: datetime) -> "Backup":
        """A legacy backup from the old platform's export. ``record`` is already validated:
        backup_number, name, project_name, pi_name|None, pi_email|None, categories (codes),
        submitted_at (aware), files [{detailed_type, repository, accession, cases, mb_per_case}]."""
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

    # --- rules shared by commands ------------------------------------------------------------
    def _repository_for(self, detailed_type: str) -> taxonomy.Repository:
        allowed = taxonomy.allowed_types(self.categories)
        if detailed_type not in allowed:
            ordered = [code for code in taxonomy.DETAILED_TYPES if code in allowed]
            raise refusals.detailed_type_not_allowed(detailed_type, ordered)
        return taxonomy.repository_of(detailed_type)

    def _check_accession(self, repository: taxonomy.Repository, accession: str,
                         file_id: str) -> None:
        if not repository.accepts(accession):
            raise refusals.accession_format_invalid(repository.code, repository.accession_pattern,
                                                    repository.accession_example)
        if any(f.accession == accession for f in self.files.values() if f.id != file_id):
            raise refusals.accession_already_in_backup(accession)

    # --- events ------------------------------------------------------------------------------
    def apply_BackupCreated(self, data: dict) -> None:
        for key in ("backup_id", "project_id", "project_name", "owner_id", "name", "pi_name",
                    "pi_email", "institution_code", "unit_code", "created_at"):
            setattr(self, key, data[key])
        self.categories = list(data["categories"])

    def apply_BackupRenamed(self, data: dict) -> None:
        self.name = data["name"]

    def apply_BackupCategoriesChanged(self, data: dict) -> None:
        self.categories = list(data["categories"])

    def apply_DataFileAdded(self, data: dict) -> None:
        self.files[data["file_id"]] = DataFile(
            id=data["file_id"], detailed_type=data["detailed_type"], repository=data["repository"],
            cases=data["cases"], mb_per_case=data["mb_per_case"],
            submission_account=data["submission_account"], accession=data["accession"],
            progress=data["progress"], created_at=data["at"], updated_at=data["at"])

    def apply_DataFileUpdated(self, data: dict) -> None:
        self.files[data["file_id"]] = self.files[data["file_id"]].changed(
            detailed_type=data["detailed_type"], repository=data["repository"],
            cases=data["cases"], mb_per_case=data["mb_per_case"],
            submission_account=data["submission_account"], accession=data["accession"],
            progress=data["progress"], updated_at=data["at"])

    def apply_DataFileRemoved(self, data: dict) -> None:
        del self.files[data["file_id"]]

    def apply_DataFileVerified(self, data: dict) -> None:
        self.files[data["file_id"]] = self.files[data["file_id"]].changed(
            progress=COMPLETE, updated_at=data["verified_at"])

    def apply_BackupSubmitted(self, data: dict) -> None:
        self.backup_number = data["backup_number"]
        self.submitted_at = data["submitted_at"]

    def apply_BackupDelegated(self, data: dict) -> None:
        self.owner_id = data["to_owner_id"]
        self.unit_code = data["unit_code"]

    def apply_FilingLinked(self, data: dict) -> None:
        self.filings[data["filing_number"]] = {
            "declared_mb": data["declared_mb"], "recipient": data["recipient"],
            "filed_at": data["filed_at"]}

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
