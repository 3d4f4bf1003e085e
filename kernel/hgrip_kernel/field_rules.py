"""The platform's field rules, written once: limits, patterns and checks of user-typed values.

Plain Python (no marshmallow): the services' domain layers and the legacy import use these
directly; ``hgrip_kernel.schema_fields`` builds the marshmallow validators of the gateway's and the
services' schemas from them, so a limit changed here changes every route that takes the field.
"""
import re
import unicodedata

# Lengths, in characters after trimming.
NAME_MAX = 200            # names of projects, backups, institutions, units, people, recipients
PI_NAME_MAX = 50          # a principal investigator's real name
EMAIL_MAX = 254           # RFC 5321's limit on a forward path
ACCESSION_MAX = 64        # a dataset accession in its repository (e.g. HRA000567)
CODE_MAX = 64             # codes: categories, detailed types, institutions, units
USERNAME_MAX = 100        # an HGRG account's username (identity stores at most this)
FILING_NUMBER_MAX = 64    # an HGRG filing number (备案号)

# Numbers.
CASES_MAX = 1_000_000_000         # beyond any cohort; keeps the column and sums sane
MB_PER_CASE_MAX = 1_000_000_000   # a petabyte per case
PAGE_SIZE_MAX = 100               # rows on one page of a listing

# Names end up in lists, e-mails and SMS texts: control characters (CR/LF, …) would garble them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# A mainland-China mobile number as a user types it: 11 ASCII digits, no country code, no separators.
# The pattern's text is what the OpenAPI document publishes (JavaScript's \d is ASCII); in Python it is
# always compiled with re.ASCII, since Python's \d would also take other scripts' digits (e.g. "１３８…").
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
MOBILE = re.compile(MOBILE_PATTERN, re.ASCII)
_MOBILE_DIGITS = re.compile(r"1[3-9]\d{9}", re.ASCII)
# An e-mail address as the legacy import checks it: something@something.something, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a control character (U+0000–U+001F or U+007F)."""
    return CONTROL_CHARACTERS.search(text) is not None


def normalise_mobile(mobile: object) -> str | None:
    """11 digits, or None when it is no mainland mobile (full-width digits, spaces, dashes and a
    +86/86 prefix are forgiven). For reading old-platform records only: a mobile typed by a user
    must match MOBILE_PATTERN as it is."""
    if not isinstance(mobile, str):
        return None
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", mobile) if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE_DIGITS.fullmatch(digits) else None


def is_email(text: str) -> bool:
    """A plausible e-mail address: one ``@``, a dot in the domain, no whitespace."""
    return _EMAIL.match(text) is not None
