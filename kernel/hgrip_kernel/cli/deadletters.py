"""``hgrip deadletters list | replay MESSAGE_ID | replay --all``.

kombu is imported when a command runs, not with the CLI: ``hgrip serve`` monkey-patches eventlet only
once the CLI is loaded, and kombu imported before that keeps the blocking ``time.sleep`` for its
reconnection back-off — every green thread of the process froze while the broker was away.
"""
import os

from ..config import DEFAULT_AMQP_URI


def _list(args) -> int:
    from ..dead_letters import list_dead_letters
    letters = list_dead_letters(args.amqp_uri)
    if not letters:
        print("no dead letters")
        return 0
    print(f"{'message id':38} {'event':26} {'queue':36} {'tries':>5}  failed at / error")
    for letter in letters:
        print(f"{letter.message_id or '-':38} {letter.event_type or '-':26} {letter.queue or '-':36} "
              f"{letter.attempts:>5}  {letter.failed_at or '-'}\n{'':108}{letter.error}")
    print(f"{len(letters)} dead letter(s)")
    return 0


def _replay(args) -> int:
    if not args.all and not args.message_id:
        print("name a message id, or --all")
        return 2
    from ..dead_letters import replay
    done = replay(args.amqp_uri, None if args.all else args.message_id)
    for letter in done:
        print(f"replayed {letter.message_id} to {letter.queue}")
    if not done:
        print("nothing replayed" + ("" if args.all else f": no dead letter {args.message_id}"))
        return 0 if args.all else 1
    return 0


def register(commands) -> None:
    parser = commands.add_parser("deadletters", help="inspect and replay dead-lettered messages")
    parser.add_argument("--amqp-uri", default=os.environ.get("HGRIP_AMQP_URI", DEFAULT_AMQP_URI))
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list").set_defaults(handler=_list)
    replay_parser = actions.add_parser("replay")
    replay_parser.add_argument("message_id", nargs="?")
    replay_parser.add_argument("--all", action="store_true")
    replay_parser.set_defaults(handler=_replay)
