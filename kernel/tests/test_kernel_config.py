"""Secrets created on first use: processes starting together must all end up with the same one."""
import os
import subprocess
import sys
import time

# Each child imports first, then waits for the starting signal, so that all ask at the same moment.
READ = ("import os, sys, time\n"
        "from hgrip_kernel.config import shared_secret\n"
        "while not os.path.exists(sys.argv[1]): time.sleep(0.001)\n"
        "print(shared_secret('token_secret'))")


def test_processes_starting_together_share_one_secret(tmp_path):
    env = {**os.environ, "HGRIP_VAR": str(tmp_path)}
    env.pop("HGRIP_TOKEN_SECRET", None)
    go = tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", READ, str(go)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(16)]
    time.sleep(2)   # every child has imported and is waiting
    go.touch()
    answers = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _, err in answers]
    secrets = {out.strip() for out, _ in answers}
    assert len(secrets) == 1 and len(secrets.pop()) == 64
    # Nothing half-made is left beside it, and only its owner may read it.
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == ["token_secret"]
    assert (tmp_path / "secrets" / "token_secret").stat().st_mode & 0o777 == 0o600


def test_an_explicit_secret_wins(tmp_path, monkeypatch):
    from hgrip_kernel.config import shared_secret
    monkeypatch.setenv("HGRIP_VAR", str(tmp_path))
    monkeypatch.setenv("HGRIP_HGRG_SHARED_SECRET", "given")
    assert shared_secret("hgrg_shared_secret") == "given"
    assert not (tmp_path / "secrets" / "hgrg_shared_secret").exists()
