"""Configuration from the environment: one nameko config dict per service."""
import os
import secrets
from pathlib import Path

from .personal_data import local_keys

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
SERVICES = ("identity", "projects", "backups", "verification", "registry-sync")
SEALING_SERVICES = ("identity",)   # the only ones given HGRIP_PERSONAL_DATA_KEYS (they keep mobiles)
# A service's deadline on its peers (hgrip_kernel.nameko.deadline_rpc): shorter than the gateway's
# (HGRIP_GATEWAY_RPC_TIMEOUT, 10 s), so that the service's own answer still reaches the gateway in time.
DEFAULT_PEER_RPC_TIMEOUT = 7.0


def var_dir() -> Path:
    path = Path(os.environ.get("HGRIP_VAR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def env_key(service: str) -> str:
    return service.upper().replace("-", "_")


def database_url(service: str) -> str:
    explicit = os.environ.get(f"HGRIP_{env_key(service)}_DATABASE_URL")
    if explicit:
        return explicit
    db_dir = var_dir() / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db_dir / (service.replace('-', '_') + '.sqlite')}"


def shared_secret(name: str) -> str:
    """A secret from HGRIP_<NAME>, else from var/secrets/<name>, created once on first use."""
    explicit = os.environ.get(f"HGRIP_{name.upper()}")
    if explicit:
        return explicit
    path = var_dir() / "secrets" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Processes starting together may all get here. Each writes a private file and links it into
        # place (atomic, and refused if another was first), so every one ends up reading the same
        # secret and none ever reads a half-written file.
        temporary = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first: theirs is the secret
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def personal_data_hmac_key() -> str:
    """HGRIP_PERSONAL_DATA_HMAC_KEY, else the local secret of its older name (mobile_hash_secret):
    every hash already stored was keyed by it, so it never changes under a running platform."""
    return os.environ.get("HGRIP_PERSONAL_DATA_HMAC_KEY") or shared_secret("mobile_hash_secret")


def personal_data_keys() -> str:
    """HGRIP_PERSONAL_DATA_KEYS ("id:base64key,…", the first encrypts), else one local key made once."""
    return os.environ.get("HGRIP_PERSONAL_DATA_KEYS") or local_keys(shared_secret("personal_data_key"))


def service_config(service: str, **overrides) -> dict:
    config = {
        "SERVICE_NAME": service,
        "AMQP_URI": os.environ.get("HGRIP_AMQP_URI", DEFAULT_AMQP_URI),
        "VAR_DIR": str(var_dir()),
        "TOKEN_SECRET": shared_secret("token_secret"),
        "HGRG_SHARED_SECRET": shared_secret("hgrg_shared_secret"),
        # Personal data (hgrip_kernel.personal_data, docs/security.md): the HMAC key of mobile numbers
        # (what events carry and legacy matching compares) and the keys that encrypt those kept.
        "MOBILE_HASH_SECRET": personal_data_hmac_key(),
        "WEB_SERVER_ADDRESS": os.environ.get("HGRIP_GATEWAY_ADDRESS", "127.0.0.1:8000"),
        "RELAY_ENABLED": os.environ.get("HGRIP_RELAY_ENABLED", "1") not in ("0", "false", "no"),
        "MAX_DELIVERY_ATTEMPTS": int(os.environ.get("HGRIP_MAX_DELIVERY_ATTEMPTS", "5")),
        "RETRY_DELAY_MS": int(os.environ.get("HGRIP_RETRY_DELAY_MS", "1000")),
        "PEER_RPC_TIMEOUT": float(os.environ.get("HGRIP_PEER_RPC_TIMEOUT") or DEFAULT_PEER_RPC_TIMEOUT),
        "serializer": "json",
    }
    if service in SERVICES:
        config["DATABASE_URL"] = database_url(service)
    if service in SEALING_SERVICES:
        config["PERSONAL_DATA_KEYS"] = personal_data_keys()
    # Any other HGRIP_* variable reaches the service under its bare name (HGRIP_SMTP_HOST → SMTP_HOST).
    for key, value in os.environ.items():
        if key.startswith("HGRIP_"):
            config.setdefault(key[len("HGRIP_"):], value)
    if service not in SEALING_SERVICES:
        config.pop("PERSONAL_DATA_KEYS", None)   # least privilege: no other process opens a sealed mobile
    config.update(overrides)
    return config
