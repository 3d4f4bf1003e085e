"""The HGRG shared secret, by the platform's own rule (hgrip_kernel.config.shared_secret)."""
from hgrip_kernel.config import shared_secret


def hgrg_secret() -> str:
    """HGRIP_HGRG_SHARED_SECRET, else $HGRIP_VAR/secrets/hgrg_shared_secret (created once)."""
    return shared_secret("hgrg_shared_secret")
