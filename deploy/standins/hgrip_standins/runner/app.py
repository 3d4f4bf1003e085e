"""The sequence behind `make run`: stand-ins, migrations, services, health, provisioning, a login, summary."""
import threading
import time
from dataclasses import dataclass

import requests

from hgrip_standins.runner.plan import Plan
from hgrip_standins.runner.supervisor import Supervisor

# A login answered with one of these may succeed later (the gateway or identity still starting, a rate
# limit). Anything else is final: trying a refused password again would count towards the login limits.
RETRYABLE_LOGIN_STATUS = {429, 500, 502, 503, 504}


@dataclass
class Status:
    """How far the platform got; the summary says exactly this, never more."""
    healthy: bool = False
    provisioned: bool | None = None   # None: provisioning was not asked for
    logged_in: bool | None = None     # None: not tried (nothing provisioned)
    problem: str | None = None        # why the last step that failed failed
    feed: bool | None = None          # HGRG's feed consumer started; None: not asked for


def wait_for_login(login_url: str, username: str, password: str, timeout: float,
                   cancel: threading.Event, note=lambda line: None, interval: float = 1.0) -> str | None:
    """POST the login until it answers 200: None then, else why it never did (bounded by `timeout`)."""
    deadline, next_note = time.monotonic() + timeout, time.monotonic()
    while True:
        try:
            answer = requests.post(login_url, json={"username": username, "password": password}, timeout=10)
            if answer.status_code == 200 and "access_token" in answer.text:
                return None
            last = f"HTTP {answer.status_code} {answer.text[:300]}"
            if answer.status_code not in RETRYABLE_LOGIN_STATUS:
                return f"{username}: {last}"
        except requests.RequestException as error:
            last = type(error).__name__
        if time.monotonic() >= deadline:
            return f"{username}: no successful login within {timeout:.0f}s ({last})"
        if time.monotonic() >= next_note:   # a line every 10 s, not one per attempt
            note(f"login as {username}: {last}; trying again until {timeout:.0f}s have passed")
            next_note = time.monotonic() + 10
        if cancel.wait(interval):
            return "stopped"


class Runner:
    def __init__(self, plan: Plan, supervisor: Supervisor, health_url: str, provision=None,
                 summary=None, health_timeout: float = 180.0, stop_event: threading.Event | None = None,
                 login_check=None):
        self.plan, self.supervisor, self.health_url = plan, supervisor, health_url
        self.provision = provision          # callable() -> None; raises on failure
        self.login_check = login_check      # callable() -> None when a demo account logged in, else why not
        self.summary = summary              # callable(Status) -> str
        self.health_timeout = health_timeout
        self.stop_event = stop_event or threading.Event()
        self.feeds_started: bool | None = None

    def wait_healthy(self) -> bool:
        say = self.supervisor.say
        deadline, next_note = time.monotonic() + self.health_timeout, time.monotonic() + 15
        last = "no answer"
        while not self.stop_event.is_set():
            try:
                answer = requests.get(self.health_url, timeout=5)
                if answer.status_code == 200:
                    say(f"gateway healthy: {self.health_url}")
                    return True
                last = f"HTTP {answer.status_code} {answer.text[:300]}"   # names the services not yet up
            except requests.RequestException as error:
                last = type(error).__name__
            if time.monotonic() >= deadline:
                say(f"!! gateway not healthy after {self.health_timeout:.0f}s ({self.health_url}): {last}")
                return False
            if time.monotonic() >= next_note:
                say(f"waiting for {self.health_url}: {last}")
                next_note += 15
            self.stop_event.wait(0.5)
        return False

    def bring_up(self) -> Status:
        """Health, then provisioning, then one real login: the summary is printed only after these."""
        status = Status(healthy=self.wait_healthy())
        if not status.healthy:
            status.problem = f"the gateway did not answer {self.health_url} with 200"
            return status
        if self.provision is None:
            return status
        try:
            self.provision()
            status.provisioned = True
        except Exception as error:   # the platform keeps running; the operator can re-provision
            status.provisioned, status.problem = False, str(error)
            self.supervisor.say(f"!! provisioning failed: {error}")
            return status
        if self.login_check is not None and not self.stop_event.is_set():
            reason = self.login_check()
            status.logged_in = reason is None
            if reason is not None:
                status.problem = reason
                self.supervisor.say(f"!! the demo accounts cannot log in: {reason}")
        return status

    def start_feeds(self) -> None:
        """Downstream setup, then the feed consumers. A failure there leaves the platform running (HGRG's
        HTTP stand-in still gets its pushes): only the feed is missing, and the runner says why."""
        sup = self.supervisor
        if not self.plan.feeds:
            return
        for argv in self.plan.feed_setup:
            code = sup.run_once("downstream", argv, cancel=self.stop_event)
            if code != 0:
                sup.say(f"!! {' '.join(argv[1:4])} failed with exit code {code}; not starting "
                        f"{', '.join(spec.name for spec in self.plan.feeds)}")
                self.feeds_started = False
                return
        for spec in self.plan.feeds:
            sup.start(spec)
        self.feeds_started = True

    def run(self) -> int:
        sup = self.supervisor
        sup.reserve([spec.name for spec in self.plan.standins + self.plan.services + self.plan.feeds]
                    + ["migrate", "downstream", "provision"])
        try:
            for spec in self.plan.standins:
                sup.start(spec)
            sup.start_monitor()
            for argv in self.plan.migrations:
                code = sup.run_once("migrate", argv, cancel=self.stop_event)
                if code != 0 or self.stop_event.is_set():
                    if code != 0:
                        sup.say(f"!! {' '.join(argv)} failed with exit code {code}; not starting services")
                    return 1 if code != 0 else 0
            self.start_feeds()
            for spec in self.plan.services:
                sup.start(spec)
            status = self.bring_up()
            status.feed = self.feeds_started
            if self.summary is not None and not self.stop_event.is_set():
                for line in self.summary(status).splitlines():
                    sup.say(line)
            while not self.stop_event.wait(0.5):
                pass
            return 0
        finally:
            sup.stop()
            sup.say("all children stopped")
