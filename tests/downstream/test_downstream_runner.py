"""`make run`'s runner gives HGRG its feed: `hgrip downstream add` as a one-shot step (password by file),
then the Node consumer, which reads through that user; a failed setup starts no consumer and says why."""
import io
import json
import os
import re
import sys
import uuid

from kombu import Connection, Exchange

from hgrip_kernel.contracts.published import PUBLISHED_EXCHANGE
from hgrip_standins.runner.app import Runner
from hgrip_standins.runner.plan import Plan, with_feed
from hgrip_standins.runner.supervisor import Supervisor


def test_runner_makes_the_feed_user_then_starts_the_node_consumer(tmp_path, amqp_uri, management_url,
                                                                   downstream_cli, wait_until):
    user, password = f"t-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    secret = tmp_path / "feed-password"
    secret.write_text(password)
    plan = with_feed(Plan(), str(secret), user=user)
    assert all(password not in " ".join(argv) for argv in plan.feed_setup + [s.argv for s in plan.feeds])
    out = io.StringIO()
    supervisor = Supervisor(env={"HGRIP_VAR": str(tmp_path / "var"), "HGRIP_AMQP_URI": amqp_uri,
                                 "HGRIP_RABBIT_MANAGEMENT_URL": management_url, "PATH": os.environ["PATH"]},
                            out=out, stop_timeout=3)
    runner = Runner(plan, supervisor, "http://127.0.0.1:9/unused")
    try:
        runner.start_feeds()
        assert runner.feeds_started is True
        log = tmp_path / "var" / "log" / "hgrg-feed.log"
        wait_until(lambda: log.exists() and "feed_consuming" in log.read_text(), timeout=30,
                   message="the Node consumer to read its queue")
        with Connection(amqp_uri) as connection:
            connection.Producer(exchange=Exchange(PUBLISHED_EXCHANGE, type="topic", durable=True)).publish(
                json.dumps({"source": "backups"}), routing_key="backups.BackupSubmitted", message_id="m-1")
        received = tmp_path / "var" / "hgrg-feed" / "received.jsonl"
        wait_until(lambda: received.exists() and "m-1" in received.read_text(), timeout=30,
                   message="the message journaled")
        assert json.loads(received.read_text().splitlines()[0])["valid"] is False
    finally:
        supervisor.stop()
        downstream_cli("remove", user)
    assert password not in out.getvalue() + log.read_text()


def test_a_failed_feed_setup_starts_no_consumer_and_says_why(tmp_path):
    plan = with_feed(Plan(), str(tmp_path / "none"))
    plan.feed_setup = [[sys.executable, "-c", "raise SystemExit(3)"]]   # as a refused `downstream add`
    out = io.StringIO()
    supervisor = Supervisor(env={"HGRIP_VAR": str(tmp_path / "var")}, out=out, stop_timeout=1)
    runner = Runner(plan, supervisor, "http://127.0.0.1:9/unused")
    try:
        runner.start_feeds()
    finally:
        supervisor.stop()
    assert runner.feeds_started is False
    assert not supervisor.children
    assert "failed with exit code 3; not starting hgrg-feed" in out.getvalue()


def test_summary_says_where_the_feed_journals_or_that_it_did_not_start(tmp_path):
    from hgrip_standins.runner.app import Status
    from hgrip_standins.runner.plan import child_environment
    from hgrip_standins.runner.summary import render

    env = child_environment({"HGRIP_VAR": str(tmp_path)})
    assert f"{tmp_path}/hgrg-feed/received.jsonl" in render(env, [], Status(healthy=True, feed=True))
    assert re.search(r"^HGRG feed +NOT started", render(env, [], Status(healthy=True, feed=False)), re.M)
    assert "HGRG feed" not in render(env, [], Status(healthy=True))   # --no-feed
