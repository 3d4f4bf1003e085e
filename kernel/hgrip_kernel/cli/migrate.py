"""``hgrip migrate [service …]``: bring each service's database to the newest schema."""
from importlib.metadata import entry_points

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ..config import database_url
from .parsers import add_command


def migration_locations() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="hgrip.migrations")}


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database if it is missing (SQLite files create themselves)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": parsed.database}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def upgrade(service: str, url: str | None = None, revision: str = "head") -> None:
    location = migration_locations()[service]
    url = url or database_url(service)
    ensure_database(url)
    config = Config()
    config.set_main_option("script_location", location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


def _run(args) -> int:
    known = migration_locations()
    services = args.services or sorted(known)
    unknown = [s for s in services if s not in known]
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return 2
    for service in services:
        upgrade(service)
        print(f"migrated {service}")
    return 0


def register(commands) -> None:
    parser = add_command(
        commands, "migrate", "upgrade service databases to the newest schema",
        "Runs each service's Alembic migrations up to head on its own database "
        "($HGRIP_<SERVICE>_DATABASE_URL, else SQLite under $HGRIP_VAR/db), creating a missing PostgreSQL "
        "database first. Safe to repeat. Run it before starting a new version of a service.")
    parser.add_argument("services", nargs="*", metavar="SERVICE",
                        help=f"services to migrate (default: all: {', '.join(sorted(migration_locations()))})")
    parser.set_defaults(handler=_run)
