"""The request's path and query string, checked before routing: text is UTF-8 without controls.

werkzeug decodes the path with replacement characters and the query string with str.decode()
(a UnicodeDecodeError, i.e. a 500, on raw bytes that are not UTF-8); percent-encoded bad bytes
stay encoded. Both spellings of a byte mean the same here: ``%E5%BC%A0`` and a raw 张 are one text
(protocol.py percent-encodes raw bytes), and neither may be invalid UTF-8 or a control character.
"""
from urllib.parse import unquote_to_bytes

from hgrip_kernel.field_rules import has_control_characters

from .errors import GatewayError


def check_target(environ: dict) -> None:
    """Raise invalid_encoding (400) unless PATH_INFO and QUERY_STRING decode to clean UTF-8.

    PEP 3333 hands both over as latin-1 strings of the bytes received (PATH_INFO percent-decoded)."""
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace").replace(b"+", b" ")
    for part, raw in (("path", path), ("query", unquote_to_bytes(query))):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GatewayError("invalid_encoding", {"part": part, "reason": "not UTF-8"}) from None
        if has_control_characters(text):
            raise GatewayError("invalid_encoding", {"part": part, "reason": "control characters"})
