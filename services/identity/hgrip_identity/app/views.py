"""What identity's RPCs answer: plain dicts in the contract's shapes, personal data masked — pure
functions of read-model rows and aggregates. The mobile is answered masked (138****5678): identity
keeps the number sealed and nobody asks it for the clear one.

The one exception is the account's ``email``, in clear: the services that mail a person (verification's
notices) need the address. Logs mask it (the ``email`` key, ``hgrip_kernel.masking``); the gateway
masks it before an answer leaves the platform."""


def account_view(row) -> dict:
    """Account dict from a record (``adapters.read_models.SqlRecords.find_account``)."""
    institution = None
    if row.institution_code:
        institution = {"code": row.institution_code, "name": row.institution_name,
                       "foreign": bool(row.institution_foreign)}
    unit = {"code": row.unit_code, "name": row.unit_name} if row.unit_code else None
    return {
        "id": row.id, "username": row.username, "name": row.name, "role": row.role,
        "mobile": row.mobile_masked,   # kept masked beside the sealed number: no key needed to answer
        "institution": institution, "unit": unit,
        "real_name_verified": bool(row.real_name_verified), "authorised": bool(row.authorised),
        "authorised_at": row.authorised_at.isoformat() if row.authorised_at else None,
        "employed": bool(row.employed), "email": row.email,
    }


def institution_view(institution) -> dict:
    """Institution dict from the aggregate (units sorted by code)."""
    return institution.snapshot()
