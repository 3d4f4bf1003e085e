"""Identifiers as stored: canonical lower-case UUID strings."""
import uuid


def canonical_id(value: object) -> str | None:
    """The canonical form of a UUID given in any accepted spelling; None for anything that is no UUID.

    Ids are stored in this form, so a non-UUID matches nothing rather than failing a query.
    """
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
