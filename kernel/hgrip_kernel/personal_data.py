"""Personal data kept or published by the platform: mobile numbers, written once (docs/security.md).

- Published and matched: ``mobile_hash(key, mobile)``, an HMAC-SHA256 of the normalised number keyed
  by HGRIP_PERSONAL_DATA_HMAC_KEY. Equal numbers meet (legacy registrants, members) without an event,
  a store or a copy of either revealing a number; a dictionary of all 10^10 numbers needs the key.
- Kept: ``Cipher`` seals a value with Fernet (AES-128-CBC + HMAC-SHA256, authenticated) under a
  rotatable list of keys, HGRIP_PERSONAL_DATA_KEYS = "id:base64key,id:base64key,…": the first
  encrypts, every listed one decrypts, and each sealed value names its key so a rotation finds what is
  left to re-encrypt. Without the variable a local key is made once under $HGRIP_VAR/secrets (config).
"""
import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from .field_rules import normalise_mobile

MOBILE_HASH_PATTERN = r"^[0-9a-f]{64}$"
LOCAL_KEY_ID = "local"          # the key made under $HGRIP_VAR/secrets when none is configured
_KEY_ID = re.compile(r"^[A-Za-z0-9_\-]{1,32}$", re.ASCII)


class PersonalDataKeyError(ValueError):
    """The key list is malformed, or a sealed value names a key that is no longer listed."""


def mobile_hash(key: str, mobile: object) -> str | None:
    """The keyed hash of a mobile number (None when it is none): what events carry and stores match."""
    number = normalise_mobile(mobile)
    if number is None:
        return None
    return hmac.new(key.encode(), f"mobile:{number}".encode(), hashlib.sha256).hexdigest()


def local_keys(secret: str) -> str:
    """A one-key list derived from a local secret (any text): ``local:<base64 of its SHA-256>``."""
    return f"{LOCAL_KEY_ID}:{base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()}"


def new_key_entry(key_id: str) -> str:
    """``id:base64key`` with a fresh random key, to put first in HGRIP_PERSONAL_DATA_KEYS."""
    if not _KEY_ID.match(key_id):
        raise PersonalDataKeyError(f"a key id is 1-32 letters, digits, '-' or '_': {key_id!r}")
    return f"{key_id}:{Fernet.generate_key().decode()}"


def parse_keys(text: str) -> dict[str, Fernet]:
    """{id: Fernet} in the list's order (the first encrypts). Never puts a key in an error message."""
    keys: dict[str, Fernet] = {}
    for position, entry in enumerate(part.strip() for part in (text or "").split(",")):
        if not entry:
            continue
        key_id, separator, material = entry.partition(":")
        if not separator or not _KEY_ID.match(key_id):
            raise PersonalDataKeyError(f"HGRIP_PERSONAL_DATA_KEYS entry {position + 1} is not id:base64key")
        if key_id in keys:
            raise PersonalDataKeyError(f"HGRIP_PERSONAL_DATA_KEYS names key {key_id!r} twice")
        try:
            keys[key_id] = Fernet(material.strip().encode())
        except ValueError:
            raise PersonalDataKeyError(
                f"HGRIP_PERSONAL_DATA_KEYS key {key_id!r} is not 32 url-safe base64-encoded bytes") from None
    if not keys:
        raise PersonalDataKeyError("HGRIP_PERSONAL_DATA_KEYS lists no key")
    return keys


@dataclass(frozen=True)
class Sealed:
    """A value encrypted under the key ``key_id`` (``token``: a Fernet token, ASCII)."""
    key_id: str
    token: str


class Cipher:
    """Seal and open personal data under the configured keys (see the module's docstring)."""

    def __init__(self, keys: str):
        self._keys = parse_keys(keys)
        self.current_key_id = next(iter(self._keys))

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, value: str) -> Sealed:
        return Sealed(self.current_key_id, self._keys[self.current_key_id].encrypt(value.encode()).decode())

    def open(self, sealed: Sealed) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise PersonalDataKeyError(f"key {sealed.key_id!r} is no longer in HGRIP_PERSONAL_DATA_KEYS")
        try:
            return key.decrypt(sealed.token.encode()).decode()
        except InvalidToken:
            raise PersonalDataKeyError(f"a value sealed under key {sealed.key_id!r} does not open with it "
                                       "(wrong key material, or the value was altered)") from None

    def reseal(self, sealed: Sealed) -> Sealed | None:
        """The value under the current key, or None when it already is (what a rotation does)."""
        if sealed.key_id == self.current_key_id:
            return None
        return self.seal(self.open(sealed))


class PersonalData:
    """What a service that keeps mobiles is given: the HMAC key's hash and the keys' cipher."""

    def __init__(self, hmac_key: str, keys: str):
        if not hmac_key:
            raise PersonalDataKeyError("HGRIP_PERSONAL_DATA_HMAC_KEY is empty")
        self._hmac_key = hmac_key
        self.cipher = Cipher(keys)

    @classmethod
    def from_config(cls, config: dict) -> "PersonalData":
        return cls(config["MOBILE_HASH_SECRET"], config["PERSONAL_DATA_KEYS"])

    def mobile_hash(self, mobile: object) -> str | None:
        return mobile_hash(self._hmac_key, mobile)

    def seal(self, value: str) -> Sealed:
        return self.cipher.seal(value)

    def open(self, sealed: Sealed) -> str:
        return self.cipher.open(sealed)
