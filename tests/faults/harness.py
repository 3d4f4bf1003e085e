"""A steady load of submissions from several retrying clients, and the count that follows a fault.

``Load(platform).start()`` runs ``clients`` threads; each repeats the researcher's path (create a
project → a backup → add a data file → submit) and retries the way a real client does: after the
``Retry-After`` of a 503/429, after a connection error or a timeout, and a submit whose answer was
lost is resolved by reading the backup (a second submit answers 409 backup_locked; the number is on
the backup). Every answer is recorded; a 5xx other than a bilingual 503 with ``Retry-After``, a body
that is not the JSON error, or an answer slower than ``HANG_SECONDS`` is a *failure*.

``count(platform, load)`` then proves nothing was lost or doubled: every accepted submission has
exactly one number, the numbers of a day are distinct and consecutive, HGRG's journal holds every
number exactly once, every submitted backup's history is complete, and no dead letter is left.
It returns ``Figures`` (accepted, lost, duplicated, time to recover, statuses); ``Figures.problems``
lists every broken rule, so a test asserts ``figures.problems == []``.

Several gateways (``Load(..., gateways=[url, url])``) share the clients, client i starting on gateway
i mod n; a client whose gateway refuses the connection (nothing listening: it is restarting) goes on
to the next one, as a load balancer would. Refused connections are recorded as ``connection_refused``
(nothing was sent: always safe to retry), other connection errors as ``connection_error``.

API (kept stable; tests/faults/test_fault_peers.py imports it too):
    Load(platform, clients=None, users=RESEARCHERS, pause=0.05, gateways=None) — start(), stop(), mark(label),
        recovery_seconds(since), wait_accepted(n, timeout), accepted (dict backup_id -> number),
        failures, statuses; usable as a context manager (stopped on exit).
    count(platform, load, timeout=90, explained=lambda dead_letter: False) -> Figures
    load_size() -> "small" | "large" (env HGRIP_FAULT_LOAD), clients_for_load()
    received(platform) -> HGRG's journal of numbers; hgrg_mode(platform, mode)
"""
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

DEMO_PASSWORD = "Demo-2026!"
# The demo researchers who may create projects: zhaominghui is not authorised by an institution, and
# zhoujianguo's institution is foreign (403 foreign_institution). At the large load two clients share one.
RESEARCHERS = ("zhangxiaohan", "wangyuqing", "liuhaoran", "sunlijuan")
OPERATOR = "operator"
PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 1, "mb_per_case": 1,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
# The gateway gives up on a service after GATEWAY_RPC_TIMEOUT (10 s); anything slower is a hang.
HANG_SECONDS = 15.0
CLIENT_TIMEOUT = 30.0          # the client's own patience, beyond the hang limit so hangs are seen
RETRY_AFTER_CAP = 5.0          # a client honours Retry-After, but a test need not sleep longer
CONNECTION_RETRY = 0.5         # pause after a refused connection or a timeout
HISTORY_OF_A_SUBMISSION = ("BackupCreated", "DataFileAdded", "BackupSubmitted")


def load_size() -> str:
    return "large" if os.environ.get("HGRIP_FAULT_LOAD", "small").lower() == "large" else "small"


def clients_for_load() -> int:
    return 8 if load_size() == "large" else 4


def received(platform) -> list[str]:
    """HGRG's durable journal of backup numbers (readable while its API is down)."""
    path = Path(platform.env["HGRIP_VAR"]) / "hgrg" / "received.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line)["backup_number"] for line in lines if line.strip()]


def hgrg_mode(platform, mode: str, **spec) -> None:
    answer = requests.post(f"{platform.hgrg_url}/control/fail", json={"mode": mode, **spec}, timeout=10)
    assert answer.status_code == 200, answer.text


class Refused(Exception):
    """An answer the workflow cannot go on from (a 4xx the client did not expect)."""


class Stopped(Exception):
    pass


@dataclass
class Answer:
    step: str
    status: object          # an HTTP status, or the name of the client-side error
    seconds: float
    at: float               # time.monotonic() when the answer (or error) came


class ApiClient:
    """One user of the public API with a real client's retries; records every answer in ``load``."""

    def __init__(self, load: "Load", username: str, first_gateway: int = 0):
        self.load, self.username = load, username
        self.session = requests.Session()
        self.gateway = first_gateway
        self.base = load.gateways[first_gateway % len(load.gateways)]

    def next_gateway(self) -> None:
        """The load balancer's part: a gateway that refuses connections is passed over."""
        self.gateway += 1
        self.base = self.load.gateways[self.gateway % len(self.load.gateways)]

    def login(self) -> None:
        answer = self.call("login", "POST", "/api/v1/auth/login", authenticated=False,
                           json={"username": self.username, "password": DEMO_PASSWORD})
        if answer.status_code != 200:
            raise Refused(f"login {answer.status_code}: {answer.text[:200]}")
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def call(self, step: str, method: str, path: str, authenticated: bool = True, until=None, **kw):
        """Send until an answer that is not 'come back later'; return it. ``until`` (monotonic) bounds
        the retries once the load is stopping, so a client never outlives the test."""
        while True:
            if self.load.abandon.is_set() or (until is not None and time.monotonic() > until):
                raise Stopped(step)
            started = time.monotonic()
            try:
                answer = self.session.request(method, self.base + path, timeout=CLIENT_TIMEOUT, **kw)
            except requests.Timeout:
                self.load.record(step, "timeout", started)
                time.sleep(CONNECTION_RETRY)
                continue
            except requests.ConnectionError as exc:
                if refused(exc):
                    self.load.record(step, "connection_refused", started)
                    if len(self.load.gateways) > 1:
                        self.next_gateway()
                        continue
                else:
                    self.load.record(step, "connection_error", started)
                time.sleep(CONNECTION_RETRY)
                continue
            self.load.record(step, answer.status_code, started, answer)
            if answer.status_code in (429, 503) or answer.status_code >= 500:
                time.sleep(retry_after(answer))
                continue
            if answer.status_code == 401 and authenticated:
                self.login()  # a token the platform no longer knows: log in again, as the web app does
                continue
            return answer

    def workflow(self, n: int, until=None) -> None:
        """One submission, start to end."""
        label = f"fault-{self.username}-{n}-{time.time_ns()}"
        project = self.call("project", "POST", "/api/v1/projects", until=until, json={**PROJECT, "name": label})
        if project.status_code == 409 and error_code(project) == "project_name_taken":
            project_id = self.project_named(label, until)  # our first try went through; its answer was lost
        else:
            expect(project, 201, "project")
            project_id = project.json()["id"]
        backup = self.call("backup", "POST", f"/api/v1/projects/{project_id}/backups", until=until,
                           json={"name": label, "categories": ["wgs"]})
        expect(backup, 201, "backup")
        backup_id = backup.json()["id"]
        self.load.started_backup(backup_id, self.username)
        added = self.call("file", "POST", f"/api/v1/backups/{backup_id}/files", until=until, json=HRA)
        if added.status_code != 201 and not self.read(backup_id, until).get("files"):
            expect(added, 201, "file")
        submitted = self.call("submit", "POST", f"/api/v1/backups/{backup_id}/submit", until=until)
        if submitted.status_code == 200:
            number = submitted.json()["backup_number"]
        elif submitted.status_code == 409:  # our earlier submit went through; its answer was lost
            number = self.read(backup_id, until).get("backup_number")
            if not number:
                expect(submitted, 200, "submit")
        else:
            expect(submitted, 200, "submit")
        self.load.accept(backup_id, number)

    def project_named(self, name: str, until=None) -> str:
        answer = self.call("read", "GET", "/api/v1/projects", until=until)
        expect(answer, 200, "projects")
        found = [p["id"] for p in answer.json()["items"] if p["name"] == name]
        if not found:
            raise Refused(f"project {name}: 409 project_name_taken, yet not in the list")
        return found[0]

    def read(self, backup_id: str, until=None) -> dict:
        answer = self.call("read", "GET", f"/api/v1/backups/{backup_id}", until=until)
        expect(answer, 200, "read")
        return answer.json()


def refused(exc: requests.ConnectionError) -> bool:
    """Nothing listening (ECONNREFUSED): the request never left the client."""
    return "Errno 111" in str(exc) or "Connection refused" in str(exc)


def expect(answer, status: int, step: str) -> None:
    if answer.status_code != status:
        raise Refused(f"{step}: {answer.status_code} {answer.text[:300]}")


def error_code(answer) -> str | None:
    try:
        return answer.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def retry_after(answer) -> float:
    try:
        return min(RETRY_AFTER_CAP, max(0.1, float(answer.headers.get("Retry-After", 1))))
    except ValueError:
        return 1.0


def unavailable_problem(answer) -> str | None:
    """What is wrong with a 5xx answer, or None for the one we want: a bilingual 503 with Retry-After."""
    if answer.status_code != 503:
        return f"{answer.status_code} (only 503 may say a part is down)"
    if not answer.headers.get("Retry-After"):
        return "503 without Retry-After"
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return "503 whose body is not the JSON error"
    if not (error.get("message") and error.get("message_zh")):
        return "503 without both messages"
    return None


class Load:
    """Clients submitting until ``stop()``; each finishes the submission it is in before leaving."""

    def __init__(self, platform, clients: int | None = None, users=RESEARCHERS, pause: float = 0.05,
                 finish_seconds: float = 120.0, gateways: list[str] | None = None):
        self.platform = platform
        self.gateways = list(gateways or [platform.gateway_url])
        self.clients = clients or clients_for_load()
        self.users = users
        self.pause, self.finish_seconds = pause, finish_seconds
        self.lock = threading.Lock()
        self.stopping, self.abandon = threading.Event(), threading.Event()
        self.answers: list[Answer] = []
        self.failures: list[str] = []
        self.unavailable: Counter = Counter()     # error code of every 503 (who said "come back later")
        self.backups: dict[str, str] = {}        # backup_id -> owner's username (every backup started)
        self.accepted: dict[str, str] = {}       # backup_id -> number the client was given
        self.accepted_at: list[float] = []
        self.marks: list[tuple[str, float]] = []
        self.errors: list[str] = []              # workflows that ended on an unexpected refusal
        self._threads: list[threading.Thread] = []
        self.started_at = self.stopped_at = None

    # -- recording --------------------------------------------------------------------------------
    def record(self, step: str, status, started: float, answer=None) -> None:
        now = time.monotonic()
        problem = None
        if now - started > HANG_SECONDS:
            problem = f"{step}: answered after {now - started:.1f}s ({status})"
        elif answer is not None and answer.status_code >= 500 and step != "healthz":  # a report, not an error
            problem = unavailable_problem(answer)
            problem = problem and f"{step}: {problem}: {answer.text[:200]}"
        with self.lock:
            self.answers.append(Answer(step, status, now - started, now))
            if answer is not None and answer.status_code == 503 and step != "healthz":
                self.unavailable[error_code(answer) or "?"] += 1
            if problem:
                self.failures.append(problem)

    def started_backup(self, backup_id: str, username: str) -> None:
        with self.lock:
            self.backups[backup_id] = username

    def accept(self, backup_id: str, number: str) -> None:
        with self.lock:
            self.accepted[backup_id] = number
            self.accepted_at.append(time.monotonic())

    def mark(self, label: str) -> float:
        """Note a moment of the fault (``"fault"``, ``"back"``…); returns it for recovery_seconds."""
        now = time.monotonic()
        with self.lock:
            self.marks.append((label, now))
        return now

    @property
    def statuses(self) -> Counter:
        with self.lock:
            return Counter(str(a.status) for a in self.answers)

    def recovery_seconds(self, since: float, timeout: float = 120.0) -> float:
        """Seconds from ``since`` (the part is back) to the first submission accepted after it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                after = [t for t in self.accepted_at if t >= since]
            if after:
                return round(min(after) - since, 1)
            time.sleep(0.1)
        raise AssertionError(f"no submission accepted within {timeout}s of the fault's end")

    def wait_accepted(self, n: int, timeout: float = 60.0) -> None:
        """Until ``n`` more submissions than now were accepted (the load is really flowing)."""
        with self.lock:
            target = len(self.accepted) + n
        deadline = time.monotonic() + timeout
        while len(self.accepted) < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"load not flowing: {len(self.accepted)}/{target} accepted; "
                                     f"failures {self.failures[:5]}, errors {self.errors[:5]}, "
                                     f"statuses {dict(self.statuses)}, 503s by code {dict(self.unavailable)}")
            time.sleep(0.1)

    # -- running ----------------------------------------------------------------------------------
    def start(self) -> "Load":
        self.started_at = time.monotonic()
        for i in range(self.clients):
            thread = threading.Thread(target=self._client, args=(i,), name=f"fault-client-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> "Load":
        """Stop starting submissions; wait for those in flight (they retry until the platform answers)."""
        self.stopping.set()
        deadline = time.monotonic() + self.finish_seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            self.abandon.set()
            self.errors.append(f"clients still busy {self.finish_seconds}s after stop")
            for thread in self._threads:
                thread.join(CLIENT_TIMEOUT + 5)
        self.stopped_at = time.monotonic()
        return self

    def __enter__(self) -> "Load":
        return self.start()

    def __exit__(self, kind, *_) -> None:
        if kind is not None:  # the test failed already: do not keep it waiting for the clients
            self.abandon.set()
        if not self.stopping.is_set():
            self.stop()

    def _client(self, i: int) -> None:
        client = ApiClient(self, self.users[i % len(self.users)], first_gateway=i)
        n = 0
        try:
            client.call("healthz", "GET", "/api/v1/healthz", authenticated=False)  # wait for the door
            client.login()
            while not self.stopping.is_set():
                n += 1
                try:
                    client.workflow(n, until=None)
                except Refused as exc:
                    with self.lock:
                        self.errors.append(f"{client.username}: {exc}")
                    time.sleep(0.5)
                if self.pause:
                    time.sleep(self.pause)
        except Stopped:
            pass
        except Exception as exc:  # a client that dies must be seen, not silently reduce the load
            with self.lock:
                self.errors.append(f"{client.username}: {type(exc).__name__}: {exc}")

    # -- figures ----------------------------------------------------------------------------------
    def submissions_per_minute(self) -> float:
        end = self.stopped_at or time.monotonic()
        return round(len(self.accepted) / max(1e-6, (end - self.started_at)) * 60, 1)


@dataclass
class Figures:
    clients: int
    accepted: int
    lost: int
    duplicated: int
    recover_seconds: float | None
    per_minute: float
    statuses: dict
    problems: list = field(default_factory=list)

    def row(self) -> str:
        """A line for docs/reliability.md."""
        recover = "—" if self.recover_seconds is None else f"{self.recover_seconds} s"
        return (f"{self.clients} clients, {self.per_minute}/min | {self.accepted} | {self.lost} | "
                f"{self.duplicated} | {recover}")


def count(platform, load: Load, timeout: float = 90.0, explained=lambda dead_letter: False,
          recover_since: float | None = None) -> Figures:
    """The reckoning after a fault (call after ``load.stop()``). See the module's docstring."""
    problems = list(load.failures) + list(load.errors)
    exited = [key for key, process in platform.processes.items() if process.poll() is not None]
    if exited:  # a fault must not take a process with it (kill -9 cases restart theirs)
        problems.append(f"processes exited: {exited}")
    accepted = dict(load.accepted)
    numbers = list(accepted.values())

    # One number per submission, never shared.
    duplicated = len(numbers) - len(set(numbers))
    if duplicated:
        problems.append(f"{duplicated} numbers given to two submissions")

    # What backups itself holds: the number each backup carries, and the day's serials.
    rows = platform.query("backups", "SELECT id, backup_number FROM backups "
                                     "WHERE backup_number IS NOT NULL AND origin = 'new'")
    stored = {row[0]: row[1] for row in rows}
    lost = 0
    for backup_id, number in accepted.items():
        if stored.get(backup_id) != number:
            lost += 1
            problems.append(f"backup {backup_id} was given {number}, holds {stored.get(backup_id)}")
    unknown = {b: n for b, n in stored.items() if b in load.backups and b not in accepted}
    if unknown:  # numbered, yet its client never learnt it: an answer lost for good
        problems.append(f"{len(unknown)} backups numbered but never answered: {sorted(unknown.values())[:5]}")
    problems += consecutive_problems(list(stored.values()))
    counters = dict(platform.query("backups", "SELECT day, last FROM backup_number_counters"))
    by_day = Counter(n[2:10] for n in stored.values())
    for day, used in by_day.items():
        if counters.get(day) != used:
            problems.append(f"day {day}: counter at {counters.get(day)}, {used} numbers used")

    # HGRG has every number, each once.
    deadline = time.monotonic() + timeout
    while not set(numbers) <= set(received(platform)) and time.monotonic() < deadline:
        time.sleep(0.5)
    journal = Counter(received(platform))
    missing = [n for n in numbers if journal[n] == 0]
    twice = [n for n in numbers if journal[n] > 1]
    if missing:
        lost += len(missing)
        problems.append(f"{len(missing)} numbers never reached HGRG: {missing[:5]}")
    if twice:
        duplicated += len(twice)
        problems.append(f"{len(twice)} numbers in HGRG's journal twice: {twice[:5]}")

    # Every history complete, the submission in it once; no dead letter.
    clients: dict[str, ApiClient] = {}
    checker = Load(platform, clients=1)
    until = time.monotonic() + timeout
    try:
        for backup_id, number in accepted.items():
            username = load.backups[backup_id]
            if username not in clients:
                clients[username] = ApiClient(checker, username)
                clients[username].login()
            answer = clients[username].call("history", "GET", f"/api/v1/backups/{backup_id}/history",
                                            until=until)
            problems += history_problems(backup_id, number, answer)
        operator = ApiClient(checker, OPERATOR)
        operator.login()
        dead = operator.call("dead letters", "GET", "/api/v1/operator/dead-letters", until=until)
    except Stopped as exc:
        raise AssertionError(f"the platform did not answer the count ({exc}) within {timeout}s: "
                             f"{checker.failures[:5]}") from None
    if dead.status_code != 200:
        problems.append(f"dead letters unreadable: {dead.status_code} {dead.text[:200]}")
    else:
        left = [d for d in dead.json()["items"] if not explained(d)]
        if left:
            shown = [(d.get("service"), d.get("event_type"), d.get("error")) for d in left[:3]]
            problems.append(f"{len(left)} dead letters: {shown}")
    problems += checker.failures

    recover = load.recovery_seconds(recover_since) if recover_since is not None else None
    return Figures(clients=load.clients, accepted=len(accepted), lost=lost, duplicated=duplicated,
                   recover_seconds=recover, per_minute=load.submissions_per_minute(),
                   statuses=dict(load.statuses), problems=problems)


def consecutive_problems(numbers: list[str]) -> list[str]:
    """Per day, the serials are 1..N: none skipped, none twice (BF + YYYYMMDD + 5 digits)."""
    problems = []
    by_day: dict[str, list[int]] = {}
    for number in numbers:
        by_day.setdefault(number[2:10], []).append(int(number[10:]))
    for day, serials in by_day.items():
        if sorted(serials) != list(range(1, len(serials) + 1)):
            problems.append(f"day {day}: serials not 1..{len(serials)}: "
                            f"missing {sorted(set(range(1, max(serials) + 1)) - set(serials))[:5]}, "
                            f"twice {[s for s, c in Counter(serials).items() if c > 1][:5]}")
    return problems


def history_problems(backup_id: str, number: str, answer) -> list[str]:
    if answer.status_code != 200:
        return [f"history of {backup_id}: {answer.status_code} {answer.text[:200]}"]
    kinds = Counter(item["event_type"] for item in answer.json()["items"])
    problems = [f"history of {backup_id} lacks {kind}" for kind in HISTORY_OF_A_SUBMISSION if not kinds[kind]]
    if kinds["BackupSubmitted"] > 1 or kinds["BackupCreated"] > 1:
        problems.append(f"history of {backup_id} repeats an event: {dict(kinds)}")
    submitted = [i for i in answer.json()["items"] if i["event_type"] == "BackupSubmitted"]
    if submitted and submitted[0]["details"].get("backup_number") != number:
        problems.append(f"history of {backup_id} names {submitted[0]['details'].get('backup_number')}, "
                        f"not {number}")
    return problems


def survive(platform, name: str, fault, before: int = 8, after: int = 8) -> Figures:
    """One fault case: load until ``before`` submissions are accepted, ``fault()`` (it returns once the
    part is back), load until ``after`` more; then the count, its figures printed under ``name``."""
    with Load(platform) as load:
        load.wait_accepted(before)
        load.mark("fault")
        fault()
        back = load.mark("back")
        load.wait_accepted(after, timeout=90)
    figures = count(platform, load, recover_since=back)
    print(f"\nFAULT {name}: {figures.row()} | statuses {figures.statuses}")
    return figures
