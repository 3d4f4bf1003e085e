"""``hgrip deadletters list | replay MESSAGE_ID | replay --all``.

kombu is imported when a command runs, not with the CLI: ``hgrip serve`` monkey-patches eventlet only
once the CLI is loaded, and kombu imported before that keeps the blocking ``time.sleep`` for its
reconnection back-off — every green thread of the process froze while the broker was away.
"""
import os

from ..config import DEFAULT_AMQP_URI
from ..messaging.names import DEAD_LETTER_QUEUE  # not .topology: no kombu before serve patches
from .parsers import add_command


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
    parser = add_command(
        commands, "deadletters", "inspect and replay dead-lettered messages",
        f"An event a consumer failed to handle after its last attempt is parked in the RabbitMQ queue "
        f"{DEAD_LETTER_QUEUE}, with the queue it failed in, its attempts and the error. Nothing there is "
        f"lost; replay it once its cause is fixed.")
    parser.add_argument("--amqp-uri", default=os.environ.get("HGRIP_AMQP_URI", DEFAULT_AMQP_URI),
                        help="the broker holding the dead letters (default: $HGRIP_AMQP_URI, else the local broker)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_command(actions, "list", "list the dead letters",
                f"Lists every message in the RabbitMQ queue {DEAD_LETTER_QUEUE} of the broker at --amqp-uri: "
                "its message id, event type, the consumer queue it failed in, its attempts, when it failed "
                "and the last error (personal data masked). Read-only: the messages stay in the queue."
                ).set_defaults(handler=_list)
    replay_parser = add_command(
        actions, "replay", "send dead letters back to the queue they failed in",
        "Re-publishes a dead letter to the consumer queue it failed in, with its attempt count reset, and "
        "removes it from the dead letters only once the broker confirmed the re-publication. Consumers "
        "are idempotent (their inbox), so a replay never applies an event twice.")
    replay_parser.add_argument("message_id", nargs="?", help="the dead letter's message id (from `list`)")
    replay_parser.add_argument("--all", action="store_true", help="replay every dead letter")
    replay_parser.set_defaults(handler=_replay)
