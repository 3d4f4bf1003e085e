"""The rules a record of the old platform's export must follow before it is imported (docs/legacy-import.md).

Plain Python: raw values in (as the JSON or CSV reader found them), checked values or problems out.
Every problem names the record (JSON path or CSV line), the field and what is wrong, and the backups
it rejects; the reader collects them all so that an operator sees every problem of a file at once.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hgrip_kernel import field_rules
from hgrip_kernel.masking import mask_mobile

from . import taxonomy
from .legacy import Registrant
from .mobile import mobile_hash
from .names import name_key

BEIJING = timezone(timedelta(hours=8))
CATEGORY_SEPARATORS = re.compile(r"[;；、]")   # categories in one CSV cell
NUMBER_MAX = 32
_TYPES_BY_KEY = {name_key(t.label_zh): code for code, t in taxonomy.DETAILED_TYPES.items()}
_TYPES_BY_KEY.update({name_key(t.label_en): code for code, t in taxonomy.DETAILED_TYPES.items()})
_CATEGORIES_BY_KEY = {name_key(c.label_zh): code for code, c in taxonomy.CATEGORIES.items()}
_CATEGORIES_BY_KEY.update({name_key(c.label_en): code for code, c in taxonomy.CATEGORIES.items()})


@dataclass(frozen=True)
class Problem:
    where: str          # "registrants[0].backups[1] (BF2021…)" or "line 7 (BF2021…)"
    field: str          # the JSON key or CSV column
    message: str
    records: tuple[str, ...]   # what it rejects: backup numbers (or locations where there is none)

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


@dataclass
class LegacyBackupRecord:
    """One legacy backup, checked: what ``Backup.import_legacy`` takes."""
    registrant: Registrant
    values: dict
    where: str

    @property
    def backup_number(self) -> str:
        return self.values["backup_number"]


Record = str | tuple[str, ...]   # what a problem rejects


class Checker:
    """Collects problems while turning raw values into checked ones (None where a value is bad).
    ``number_pattern``: the backup numbers the contracts accept (legacy or new)."""

    def __init__(self, number_pattern: str):
        self.number_pattern = number_pattern
        self.problems: list[Problem] = []

    def problem(self, where: str, field_name: str, message: str, record: Record) -> None:
        records = record if isinstance(record, tuple) else (record,)
        self.problems.append(Problem(where, field_name, message, records))

    def text(self, value: Any, where: str, field_name: str, record: Record, *, required: bool = True,
             max_len: int = field_rules.NAME_MAX) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(where, field_name, "is required", record)
            return None
        if not isinstance(value, str):
            self.problem(where, field_name, "must be text", record)
            return None
        value = value.strip()
        if len(value) > max_len:
            self.problem(where, field_name, f"must be at most {max_len} characters", record)
            return None
        if field_rules.has_control_characters(value):
            self.problem(where, field_name, "must not contain control characters", record)
            return None
        return value

    def mobile(self, value: Any, where: str, field_name: str, record: Record) -> str | None:
        number = field_rules.normalise_mobile(value) if isinstance(value, str) else None
        if number is None:
            self.problem(where, field_name, "is required" if value in (None, "") else
                         "must be an 11-digit mainland-China mobile number", record)
        return number

    def email(self, value: Any, where: str, field_name: str, record: Record) -> str | None:
        text = self.text(value, where, field_name, record, required=False, max_len=field_rules.EMAIL_MAX)
        if text is not None and not field_rules.is_email(text):
            self.problem(where, field_name, "is not an e-mail address", record)
            return None
        return text

    def number(self, value: Any, where: str, field_name: str, record: Record) -> str | None:
        text = self.text(value, where, field_name, record, max_len=NUMBER_MAX)
        if text is None:
            return None
        if not re.fullmatch(self.number_pattern, text):
            self.problem(where, field_name, "must be a backup number: BF followed by 6 to 20 digits",
                         record)
            return None
        return text

    def moment(self, value: Any, where: str, field_name: str, record: Record, now: datetime) -> datetime | None:
        text = self.text(value, where, field_name, record, max_len=40)
        if text is None:
            return None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.problem(where, field_name, "must be a date (YYYY-MM-DD) or an ISO 8601 date and time",
                         record)
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BEIJING)  # the old platform's clock: Beijing time
        if moment > now:
            self.problem(where, field_name, "is in the future", record)
            return None
        return moment

    def categories(self, value: Any, where: str, field_name: str, record: Record) -> list[str] | None:
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else None
        if isinstance(value, str):
            items = [item for item in CATEGORY_SEPARATORS.split(value) if item.strip()]
        if items is None or not all(isinstance(item, str) for item in items):
            self.problem(where, field_name, "must be a list of content categories", record)
            return None
        codes: list[str] = []
        for item in items:
            code = item.strip() if item.strip() in taxonomy.CATEGORIES else _CATEGORIES_BY_KEY.get(name_key(item))
            if code is None:
                self.problem(where, field_name, f"unknown content category {item.strip()!r}", record)
                return None
            if code not in codes:
                codes.append(code)
        return codes

    def detailed_type(self, value: Any, where: str, field_name: str, record: Record) -> str | None:
        text = self.text(value, where, field_name, record, max_len=100)
        if text is None:
            return None
        code = text if text in taxonomy.DETAILED_TYPES else _TYPES_BY_KEY.get(name_key(text))
        if code is None:
            self.problem(where, field_name, f"unknown detailed type {text!r} (a code such as "
                         "raw_sequencing, or the manual's label such as 组学原始测序数据)", record)
        return code

    def cases(self, value: Any, where: str, field_name: str, record: Record) -> int | None:
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= field_rules.CASES_MAX:
            self.problem(where, field_name, "is required" if value in (None, "") else
                         f"must be a whole number from 1 to {field_rules.CASES_MAX}", record)
            return None
        return value

    def mb_per_case(self, value: Any, where: str, field_name: str, record: Record) -> int | float | None:
        if isinstance(value, str):
            try:
                value = float(value) if value.strip() else None
            except ValueError:
                value = "bad"
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0 < value <= field_rules.MB_PER_CASE_MAX or value != value:
            self.problem(where, field_name, "is required" if value is None else
                         f"must be a number greater than 0 (at most {field_rules.MB_PER_CASE_MAX})", record)
            return None
        return int(value) if float(value).is_integer() else float(value)

    def unknown_keys(self, raw: dict, known: set[str], where: str, record: Record) -> None:
        for key in sorted(set(raw) - known):
            self.problem(where, key, "is not a field of the export format", record)


def registrant(checker: Checker, raw: dict, where: str, names: dict[str, str], record: Record,
               secret: str) -> Registrant | None:
    name = checker.text(raw.get("registrant_name"), where, names["registrant_name"], record)
    number = checker.mobile(raw.get("registrant_mobile"), where, names["registrant_mobile"], record)
    institution = checker.text(raw.get("registrant_institution"), where,
                               names["registrant_institution"], record)
    if name is None or number is None or institution is None:
        return None
    hashed, masked = mobile_hash(secret, number), mask_mobile(number)
    if hashed is None or masked is None:   # never: the number is a normalised mobile
        return None
    return Registrant(name=name, mobile_hash=hashed, mobile_masked=masked, institution_name=institution)


def backup_values(checker: Checker, raw: dict, where: str, names: dict[str, str], record: Record,
                  now: datetime) -> dict | None:
    values = {
        "backup_number": checker.number(raw.get("backup_number"), where, names["backup_number"], record),
        "name": checker.text(raw.get("backup_name"), where, names["backup_name"], record),
        "project_name": checker.text(raw.get("project_name"), where, names["project_name"], record),
        "pi_name": checker.text(raw.get("pi_name"), where, names["pi_name"], record, required=False,
                                max_len=field_rules.PI_NAME_MAX),
        "pi_email": checker.email(raw.get("pi_email"), where, names["pi_email"], record),
        "submitted_at": checker.moment(raw.get("submitted_at"), where, names["submitted_at"], record, now),
        "categories": checker.categories(raw.get("categories"), where, names["categories"], record),
    }
    required = ("backup_number", "name", "project_name", "submitted_at", "categories")
    return None if any(values[key] is None for key in required) else values


def file_values(checker: Checker, raw: dict, where: str, names: dict[str, str], record: Record) -> dict | None:
    detailed_type = checker.detailed_type(raw.get("file_detailed_type"), where,
                                          names["file_detailed_type"], record)
    accession = checker.text(raw.get("file_accession"), where, names["file_accession"], record,
                             max_len=field_rules.ACCESSION_MAX)
    cases = checker.cases(raw.get("file_cases"), where, names["file_cases"], record)
    mb_per_case = checker.mb_per_case(raw.get("file_mb_per_case"), where, names["file_mb_per_case"], record)
    if detailed_type is None or accession is None:
        return None
    repository = taxonomy.repository_of(detailed_type)
    if not repository.accepts(accession):
        checker.problem(where, names["file_accession"],
                        f"does not have the format of {repository.code} (for example "
                        f"{repository.accession_example})", record)
        return None
    if cases is None or mb_per_case is None:
        return None
    return {"detailed_type": detailed_type, "repository": repository.code, "accession": accession,
            "cases": cases, "mb_per_case": mb_per_case}


def check_accessions(checker: Checker, files: list[dict], where: str, names: dict[str, str],
                     record: Record) -> None:
    seen = set()
    for item in files:
        if item["accession"] in seen:
            checker.problem(where, names["file_accession"],
                            f"{item['accession']} appears twice in this backup", record)
        seen.add(item["accession"])


def label(where: str, number: Any) -> str:
    return f"{where} ({number.strip()})" if isinstance(number, str) and number.strip() else where


def duplicates(records: list[LegacyBackupRecord]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for record in records:
        number = record.backup_number
        if number in seen:
            problems.append(Problem(record.where, "backup_number",
                                    f"appears twice in the file (also at {seen[number]})", (number,)))
        else:
            seen[number] = record.where
    return problems
