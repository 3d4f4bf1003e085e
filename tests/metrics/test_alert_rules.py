"""deploy/prometheus/alerts.yml is valid (`promtool check rules`) and each alert fires when it should and
only then (`promtool test rules alerts_test.yml`: dead letters present, the oldest pending HGRG push
older than 5 minutes, an outbox backlog growing, a service without instances)."""
import shutil
import subprocess
from pathlib import Path

import pytest

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool (Debian's prometheus package) is not installed: deploy/scripts/ensure-prometheus.sh "
                    "installs it, and make test runs that first")
    return found


def run(promtool: str, *args: str) -> str:
    done = subprocess.run([promtool, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_rules_are_valid(promtool):
    assert "SUCCESS: 4 rules found" in run(promtool, "check", "rules", "alerts.yml")


def test_each_alert_fires_when_it_should_and_only_then(promtool):
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts_test.yml")


def test_a_rule_that_does_not_fire_fails_its_test(promtool, tmp_path):
    """The unit tests can fail: with the dead-letter rule's threshold raised, its case does."""
    rules = (PROMETHEUS_DIR / "alerts.yml").read_text()
    broken = rules.replace("expr: max(hgrip_dead_letters) > 0", "expr: max(hgrip_dead_letters) > 5")
    assert broken != rules
    (tmp_path / "alerts.yml").write_text(broken)
    shutil.copy(PROMETHEUS_DIR / "alerts_test.yml", tmp_path / "alerts_test.yml")
    done = subprocess.run([promtool, "test", "rules", "alerts_test.yml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and "HgripDeadLetters" in done.stdout + done.stderr, done.stdout + done.stderr
