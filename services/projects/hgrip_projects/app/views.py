"""What the projects RPCs answer: plain dicts in the contract's shapes — pure functions of read-model rows."""


def project_view(row) -> dict:
    """The project as the RPC API returns it, from a read-model row (a mapping of its columns)."""
    unit = {"code": row["unit_code"], "name": row["unit_name"]} if row["unit_code"] else None
    return {
        "id": row["id"], "name": row["name"],
        "pi_name": row["pi_name"], "pi_email": row["pi_email"],
        "institution": {"code": row["institution_code"], "name": row["institution_name"]},
        "unit": unit, "owner_id": row["owner_id"], "created_at": row["created_at"].isoformat(),
    }
