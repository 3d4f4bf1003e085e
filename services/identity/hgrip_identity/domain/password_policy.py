"""What a password must look like before we hash it.

HGRG owns registration; this only refuses passwords too weak or too long to be sensible
(the upper bound keeps argon2 work per login bounded).
"""
MIN_LENGTH = 8
MAX_LENGTH = 128


def problems(password: str) -> list[str]:
    """English reasons the password is refused; empty when it is acceptable."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        found.append(f"must be at most {MAX_LENGTH} characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        found.append("must contain at least one letter and one digit")
    return found
