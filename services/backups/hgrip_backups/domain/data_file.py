"""A data file (常规文件) of a backup: one dataset in one NGDC repository, and its progress."""
from dataclasses import asdict, dataclass, replace

COMPLETE = "complete"                          # 完成
PENDING = "pending_verification"               # 待验证

# What a file's repository check is about: changing any of these re-checks ownership.
DATASET_FIELDS = ("repository", "accession", "submission_account")
# What may still be corrected once the backup has its number (manual: 合计例数 and 规格).
CORRECTABLE_WHEN_LOCKED = ("cases", "mb_per_case")


@dataclass(frozen=True)
class FileDetails:
    """What the researcher types, already trimmed and type-checked by the RPC schema."""
    detailed_type: str
    cases: int
    mb_per_case: float
    submission_account: str
    accession: str


@dataclass(frozen=True)
class DataFile:
    id: str
    detailed_type: str
    repository: str
    cases: int
    mb_per_case: float
    submission_account: str
    accession: str
    progress: str
    created_at: str
    updated_at: str

    @property
    def complete(self) -> bool:
        return self.progress == COMPLETE

    @property
    def dataset(self) -> tuple[str, str, str]:
        return self.repository, self.accession, self.submission_account

    @property
    def size_mb(self):
        return as_number(self.cases * self.mb_per_case)

    def changed(self, **values) -> "DataFile":
        return replace(self, **values)

    def summary(self) -> dict:
        """How refusals name a file (stranded, pending)."""
        return {"id": self.id, "detailed_type": self.detailed_type, "accession": self.accession}

    def to_dict(self) -> dict:
        return asdict(self)


def progress_for(submission_account: str, pi_email: str) -> str:
    """The PI's own account needs no code; anyone else's must confirm by e-mail (case-insensitive)."""
    same = submission_account.strip().casefold() == pi_email.strip().casefold()
    return COMPLETE if same else PENDING


def as_number(value):
    """A size as JSON shows it: integral values as ints, others rounded off float noise."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def total_mb(files) -> int | float:
    return as_number(sum(f.cases * f.mb_per_case for f in files))
