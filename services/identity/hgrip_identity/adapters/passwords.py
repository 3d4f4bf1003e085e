"""argon2id hashing of passwords (argon2-cffi defaults: RFC 9106 low-memory profile)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id is the library's default type

# Verified against when the username is unknown, so that an unknown user costs the same time as
# a wrong password and response timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


class Argon2Passwords:
    """The ``Passwords`` port."""

    def hash(self, password: str) -> str:
        return hash_password(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        return verify_password(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return needs_rehash(password_hash)
