"""``hgrip downstream add NAME | remove NAME``: a downstream system's own lane on the broker.

The password is read from a file or an environment variable, never from the command line (``ps`` would
show it), and never printed.
"""
import os
import sys
from pathlib import Path

from ..config import DEFAULT_AMQP_URI
from ..contracts.published import PUBLISHED_EXCHANGE
from ..messaging.downstream import QUEUE_PREFIX
from .parsers import add_command

DEFAULT_PASSWORD_ENV = "HGRIP_DOWNSTREAM_PASSWORD"


def _broker(args):
    from ..messaging.downstream import Broker
    return Broker.from_uris(args.amqp_uri, args.management_url)


def _password(args) -> str | None:
    if args.password_file:
        try:
            return Path(args.password_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SystemExit(f"无法读取密码文件 / cannot read the password file {args.password_file}: "
                             f"{error.strerror}") from error
    return os.environ.get(args.password_env)


def _add(args) -> int:
    from ..messaging.downstream import DownstreamError, add
    try:
        lane = add(_broker(args), args.name, _password(args) or "", args.routing_key)
    except DownstreamError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"user {lane.user} ({'created' if lane.user_created else 'updated'}) on vhost {lane.vhost}: "
          f"configure {lane.permissions['configure']}, write {lane.permissions['write']}, "
          f"read {lane.permissions['read']}")
    print(f"queue {lane.queue} bound to {PUBLISHED_EXCHANGE} with {', '.join(lane.routing_keys)}; "
          f"rejected messages kept in {lane.rejected_queue}")
    return 0


def _remove(args) -> int:
    from ..messaging.downstream import DownstreamError, remove
    try:
        done = remove(_broker(args), args.name, keep_queue=args.keep_queue)
    except DownstreamError as error:
        print(error, file=sys.stderr)
        return 1
    for line in done or [f"nothing to remove for {args.name}"]:
        print(line)
    return 0


def register(commands) -> None:
    parser = add_command(
        commands, "downstream", "give a downstream system (HGRG) its own read-only feed user and queue",
        f"Each downstream system reads the published events (exchange {PUBLISHED_EXCHANGE}, JSON Schemas in "
        f"contracts/jsonschema) from its own durable queue {QUEUE_PREFIX}<name>, as its own RabbitMQ user "
        "that may read that queue and nothing else: no publishing, no declaring, no other queue. Made as "
        "the broker's administrator through RabbitMQ's management HTTP API (docs/protocols/feed.md).")
    parser.add_argument("--amqp-uri", default=os.environ.get("HGRIP_AMQP_URI", DEFAULT_AMQP_URI),
                        help="the broker and vhost, with an administrator's credentials (default: "
                             "$HGRIP_AMQP_URI, else the local broker)")
    parser.add_argument("--management-url", default=os.environ.get("HGRIP_RABBIT_MANAGEMENT_URL"),
                        help="RabbitMQ's management API, e.g. https://admin:…@rabbit:15671 (default: "
                             "$HGRIP_RABBIT_MANAGEMENT_URL, else http on port 15672 of the AMQP URI's host "
                             "with its credentials)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_parser = add_command(
        actions, "add", "create or update a downstream system's user and queue (idempotent)",
        f"Declares the durable queue {QUEUE_PREFIX}NAME (and {QUEUE_PREFIX}NAME.rejected, where what the "
        f"system rejects is kept), binds it to {PUBLISHED_EXCHANGE}, and creates the user NAME with "
        f"permissions configure ^$, write ^$, read ^{QUEUE_PREFIX.replace('.', chr(92) + '.')}NAME$ on the "
        "vhost. Run again to change the password or the routing keys.")
    add_parser.add_argument("name", help="the downstream system, also its user name (e.g. hgrg)")
    add_parser.add_argument("--password-file", help="a file holding the user's password (one line)")
    add_parser.add_argument("--password-env", default=DEFAULT_PASSWORD_ENV,
                            help=f"the environment variable holding the password when no --password-file "
                                 f"is given (default {DEFAULT_PASSWORD_ENV})")
    add_parser.add_argument("--routing-key", action="append", metavar="KEY",
                            help="bind only this published routing key or pattern (repeatable, e.g. "
                                 "backups.*); default # (every published event); bindings not named are removed")
    add_parser.set_defaults(handler=_add)
    remove_parser = add_command(
        actions, "remove", "remove a downstream system's permissions, user and queues (idempotent)",
        f"Removes NAME's permissions on the vhost, the user once it has none left on any vhost, and the "
        f"queues {QUEUE_PREFIX}NAME and {QUEUE_PREFIX}NAME.rejected with any messages still in them.")
    remove_parser.add_argument("name", help="the downstream system (its user name)")
    remove_parser.add_argument("--keep-queue", action="store_true",
                               help="keep the queues and their messages (only the access goes)")
    remove_parser.set_defaults(handler=_remove)
