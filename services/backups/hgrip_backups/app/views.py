"""What the backups RPC returns: plain dicts in the contract's shapes, built from read-model rows."""
from ..domain.data_file import as_number


def _iso(value):
    return value.isoformat() if value is not None else None


def file_view(row) -> dict:
    return {
        "id": row["id"], "detailed_type": row["detailed_type"], "repository": row["repository"],
        "cases": row["cases"], "mb_per_case": as_number(row["mb_per_case"]),
        "submission_account": row["submission_account"], "accession": row["accession"],
        "progress": row["progress"], "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


def filing_view(row) -> dict:
    """A filing citing the backup, with the volume warning of the regulator's FAQ: when what the
    cited backups hold (Σ total_mb) exceeds the declared volume, the filing must be changed."""
    declared, cited = as_number(row["declared_mb"]), as_number(row["cited_total_mb"] or 0)
    return {"filing_number": row["filing_number"], "recipient": row["recipient"],
            "declared_mb": declared, "cited_total_mb": cited, "exceeds_declared": cited > declared,
            "filed_at": _iso(row["filed_at"])}


def backup_view(row, files=None, filing_numbers=None, filings=None) -> dict:
    """The backup; with ``files`` (rows) it carries them, as get_backup does, else not (lists).
    ``filing_numbers``: the HGRG filing numbers citing it; ``filings`` (rows with cited_total_mb)
    go with the files, in the detail only."""
    view = {
        "id": row["id"], "project_id": row["project_id"], "project_name": row["project_name"],
        "name": row["name"], "categories": list(row["categories"]), "status": row["status"],
        "backup_number": row["backup_number"],
        "filing_numbers": list(filing_numbers or []),
        "file_count": row["file_count"], "total_mb": as_number(row["total_mb"]),
        "created_at": _iso(row["created_at"]), "submitted_at": _iso(row["submitted_at"]),
    }
    if files is not None:
        view["files"] = [file_view(f) for f in files]
        view["filings"] = [filing_view(f) for f in (filings or [])]
    return view
