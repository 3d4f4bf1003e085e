"""The five repositories a dataset can live in: code (also the display name), home page, accession format.

The same facts as backups' taxonomy (docs/backup-lifecycle.md); verification keeps its own copy
because services share only the kernel. Patterns are anchored and strict.
"""
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Repository:
    code: str
    url: str
    accession_pattern: re.Pattern


def _repository(code: str, url: str, pattern: str) -> Repository:
    return Repository(code, url, re.compile(pattern))


REPOSITORIES: dict[str, Repository] = {r.code: r for r in (
    _repository("GSA-Human", "https://ngdc.cncb.ac.cn/gsa-human/", r"^HRA\d{6}$"),
    _repository("GWH", "https://ngdc.cncb.ac.cn/gwh/", r"^GWH[A-Z]{4}\d{8}(\.\d+)?$"),
    _repository("GVM", "https://ngdc.cncb.ac.cn/gvm/", r"^GVM\d{6}$"),
    _repository("GenBase", "https://ngdc.cncb.ac.cn/genbase/", r"^C_[A-Z]{2}\d{6}\.\d+$"),
    _repository("OMIX", "https://ngdc.cncb.ac.cn/omix/", r"^OMIX\d{6}(-\d{2})?$"),
)}


def repository(code: str) -> Repository | None:
    return REPOSITORIES.get(code)


def accession_is_well_formed(code: str, accession: str) -> bool:
    known = REPOSITORIES.get(code)
    # fullmatch as well as the anchors: "$" alone would let a trailing newline through.
    return known is not None and known.accession_pattern.fullmatch(accession) is not None
