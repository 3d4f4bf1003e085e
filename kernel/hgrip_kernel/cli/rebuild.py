"""``hgrip rebuild SERVICE [--read-model NAME …] [--database-url URL]``: rebuild a service's read models
from its event store while the service keeps running (``hgrip_kernel.store.replay``: writers pause for
the rebuild's one transaction, readers go on).

Each service declares its read models under the ``hgrip.projections`` entry point (a ``Projections``);
they are loaded when the command runs, not with the CLI (no service code, SQLAlchemy or kombu at load).
"""
import json
from importlib.metadata import entry_points

from ..config import database_url
from .parsers import add_command


def projections_of() -> dict:
    """service -> its entry point (loaded on use)."""
    return {ep.name: ep for ep in entry_points(group="hgrip.projections")}


def _run(args) -> int:
    known = projections_of()
    if args.service not in known:
        print(f"unknown service {args.service!r}; services with read models: {', '.join(sorted(known))} / "
              f"未知服务 {args.service!r}；有读模型的服务：{'、'.join(sorted(known))}")
        return 2
    projections = known[args.service].load()
    if args.list:
        print(json.dumps({"service": projections.service,
                          "read_models": {m.name: [t.name for t in m.tables] for m in projections.read_models},
                          "left_alone": dict(projections.left_alone)}, ensure_ascii=False))
        return 0
    try:
        models = projections.named(args.read_model)
    except KeyError as unknown:
        names = ", ".join(m.name for m in projections.read_models) or "none"
        print(f"unknown read model(s) of {args.service}: {unknown.args[0]}; known: {names} / "
              f"{args.service} 没有读模型 {unknown.args[0]}；已有：{names}")
        return 2
    if not models:
        print(json.dumps({"service": args.service, "rebuilt": [], "why": "no read model is rebuilt from this "
                          "service's events", "left_alone": dict(projections.left_alone)},
                         ensure_ascii=False))
        return 0

    from sqlalchemy.exc import DBAPIError

    from ..store import create_engine
    from ..store.replay import LOCK_TIMEOUT, rebuild

    engine = create_engine(args.database_url or database_url(args.service))
    try:
        report = rebuild(engine, models, check_only=args.check)
    except DBAPIError as error:
        if getattr(error.orig, "pgcode", None) == "55P03":   # lock_not_available
            print(f"writers of {args.service} held the read models longer than {LOCK_TIMEOUT}: nothing changed, "
                  f"try again / {args.service} 的写入超过 {LOCK_TIMEOUT} 仍未结束：未做任何修改，请重试")
        else:
            print(f"the database of {args.service} refused the rebuild, nothing changed: "
                  f"{str(error.orig).splitlines()[0] if error.orig else error} / "
                  f"{args.service} 的数据库拒绝了重建，未做任何修改")
        return 3
    finally:
        engine.dispose()
    print(json.dumps({"service": args.service, "checked" if args.check else "rebuilt": report.read_models,
                      "events": report.events, "streams": report.streams, "rows": report.rows,
                      "changed": report.changed,
                      "seconds": round(report.locked_seconds, 3),
                      "events_per_second": round(report.events_per_second)}, ensure_ascii=False))
    return 1 if args.check and report.changed else 0


def register(commands) -> None:
    parser = add_command(
        commands, "rebuild", "rebuild a service's read models from its event store",
        "Folds every event of the service's streams into its read-model tables and replaces their rows, "
        "in one transaction, while the service keeps running: on PostgreSQL writers wait (LOCK TABLE … IN "
        "EXCLUSIVE MODE on the events and the read models) until it commits, readers go on reading; on "
        "SQLite writers wait on the database's lock. Tables that are not read models (events, outbox, "
        "inbox, counters, codes, peers' data) are left alone (--list says which and why). Use it after "
        "fixing a projection, adding a read model, or restoring a database (docs/operations.md). Exit 0: done "
        "(or nothing differs with --check); 1: --check found differences; 2: unknown service or read model; "
        "3: the database refused (nothing changed).")
    parser.add_argument("service", metavar="SERVICE", help="the service whose read models to rebuild "
                        "(backups, identity, projects, registry-sync, verification)")
    parser.add_argument("--read-model", action="append", metavar="NAME",
                        help="rebuild only this read model (repeatable; default: every read model of SERVICE; "
                             "--list names them)")
    parser.add_argument("--database-url", metavar="URL",
                        help="the service's database (default: $HGRIP_<SERVICE>_DATABASE_URL, else SQLite "
                             "under $HGRIP_VAR/db)")
    parser.add_argument("--check", action="store_true",
                        help="compare only: count the rows a rebuild would insert, update or delete, write nothing "
                             "(exit 1 when any differs)")
    parser.add_argument("--list", action="store_true",
                        help="print the service's read models and the tables left alone (and why), rebuild nothing")
    parser.set_defaults(handler=_run)
