"""A service process's niceness: registry-sync yields the cores to the request path by default, any
service can be set by ``HGRIP_<SERVICE>_NICE``, a bad value stops ``hgrip serve`` before it starts."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hgrip_kernel.niceness import configured_niceness

HGRIP = Path(sys.executable).with_name("hgrip")


def test_registry_sync_yields_by_default_and_the_others_do_not():
    assert configured_niceness("registry-sync", {}) == 19
    assert {configured_niceness(service, {}) for service in ("identity", "projects", "backups",
                                                              "verification", "gateway")} == {0}


def test_the_environment_sets_any_service():
    assert configured_niceness("registry-sync", {"HGRIP_REGISTRY_SYNC_NICE": "0"}) == 0
    assert configured_niceness("backups", {"HGRIP_BACKUPS_NICE": " 5 "}) == 5
    assert configured_niceness("backups", {"HGRIP_BACKUPS_NICE": ""}) == 0


@pytest.mark.parametrize("raw", ["-1", "20", "ten", "1.5"])
def test_a_value_outside_0_to_19_is_refused_by_name(raw):
    with pytest.raises(ValueError, match=r"HGRIP_BACKUPS_NICE must be a whole number from 0 to 19"):
        configured_niceness("backups", {"HGRIP_BACKUPS_NICE": raw})


def _niceness_after(service: str, start_at: int, **env) -> int:
    """The niceness a fresh process started at ``start_at`` runs at after ``lower_priority``."""
    code = ("import os; from hgrip_kernel.niceness import lower_priority; "
            f"os.setpriority(os.PRIO_PROCESS, 0, {start_at}); "
            f"print(lower_priority({service!r}, os.environ), os.getpriority(os.PRIO_PROCESS, 0))")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True,
                          text=True, check=True, timeout=60)
    said, actual = map(int, done.stdout.split())
    assert said == actual
    return actual


def test_the_process_is_lowered_and_never_raised():
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert _niceness_after("registry-sync", own) == max(own, 19)
    assert _niceness_after("backups", own, HGRIP_BACKUPS_NICE="7") == max(own, 7)
    # Started under `nice -n 12`: a lower configured niceness leaves it there (raising is not allowed).
    assert _niceness_after("backups", max(own, 12), HGRIP_BACKUPS_NICE="3") == max(own, 12)


def test_hgrip_serve_refuses_a_bad_niceness_before_it_starts(tmp_path):
    done = subprocess.run([str(HGRIP), "serve", "registry-sync"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HGRIP_VAR": str(tmp_path), "HGRIP_REGISTRY_SYNC_NICE": "urgent"})
    assert done.returncode == 2
    assert "HGRIP_REGISTRY_SYNC_NICE must be a whole number from 0 to 19, not 'urgent'" in done.stdout
