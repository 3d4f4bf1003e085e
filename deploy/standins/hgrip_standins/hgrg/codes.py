"""Stable codes for institutions and units.

HGRG identifies institutions and units by code; the demo file names them. Deriving the code from
the name makes re-provisioning idempotent (same name → same code, on every machine).
"""
import hashlib


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10].upper()


def institution_code(name: str) -> str:
    return "INST-" + _digest(name)


def unit_code(institution_name: str, unit_name: str) -> str:
    # The institution is part of the key: two institutions may both have a "数据资源部".
    return "UNIT-" + _digest(institution_name + "\n" + unit_name)
