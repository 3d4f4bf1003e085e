"""A valid payload of every event the platform publishes (``hgrip.published``), shaped as backups
records them: for tests of the published contract, here and in other ecosystems (the Node feed)."""
import uuid


def submitted_payload(backup_id: str) -> dict:
    return {
        "backup_id": backup_id, "backup_number": "BF2026112100001", "project_id": str(uuid.uuid4()),
        "project_name": "人类基因组队列", "name": "Batch 1", "categories": ["wgs", "chip"],
        "owner_id": str(uuid.uuid4()), "institution_code": "INST-001", "unit_code": None,
        "pi_name": "张三", "pi_email": "pi@example.org", "file_count": 1, "total_mb": 1536.5,
        "submitted_at": "2026-11-21T05:00:00+00:00",
        "files": [{"file_id": str(uuid.uuid4()), "detailed_type": "raw_sequencing", "repository": "GSA-Human",
                   "accession": "HRA000001", "cases": 12, "mb_per_case": 128.0416}],
    }


def other_published_payloads(backup_id: str) -> dict:
    """A valid payload of every published event but BackupSubmitted, shaped as backups records them."""
    someone, admin = str(uuid.uuid4()), str(uuid.uuid4())
    return {
        "BackupDelegated": {
            "backup_id": backup_id, "backup_number": None, "transfer_id": str(uuid.uuid4()),
            "from_owner_id": someone, "to_owner_id": str(uuid.uuid4()), "to_username": "wangyuqing",
            "institution_code": "INST-001", "unit_code": "UNIT-1", "delegated_by": admin,
            "delegated_at": "2026-11-21T05:00:00+00:00", "sequence": 2},
        "BackupClaimed": {
            "backup_id": backup_id, "backup_number": "BF2021031500012", "owner_id": someone,
            "owner_username": "zhangxiaohan", "institution_code": "INST-001", "unit_code": None,
            "how": "institution", "claimed_by": admin, "claimed_at": "2026-11-21T05:00:00+00:00",
            "sequence": 3},
        "FilingLinked": {
            "backup_id": backup_id, "filing_number": "BA202611210001", "declared_mb": 1024.0,
            "recipient": "Example Lab (US)", "filed_at": "2026-11-21T05:00:00+00:00"},
    }


def published_payloads(backup_id: str) -> dict:
    """Every published event's payload, BackupSubmitted first."""
    return {"BackupSubmitted": submitted_payload(backup_id), **other_published_payloads(backup_id)}
