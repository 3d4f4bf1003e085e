"""Runs the pusher beside the service's workers, the way EventStoreProvider runs the outbox relay.

One dispatcher loop makes a batch of up to SYNC_BATCH_SIZE pushes whenever a batch slot is free
(SYNC_CONCURRENCY, default 1) and hands it to a green thread. A new row is handed over by the
consumer that committed it, already leased to this pusher (``hand_over``): no claim, and when the
pusher is idle it reaches HGRG within milliseconds; under load, whatever came in while a batch was
on its way goes in the next one (batches form by themselves, nothing waits to fill them). Due
retries and rows whose lease ran out (another instance died) are claimed from the database every
SYNC_POLL_INTERVAL. While HGRG answers, the intake has it push a batch of new numbers before
recording them (``push_first``), and records their outcomes with them: nothing is handed over then.
"""
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider

from hgrip_kernel.logging import get_logger
from hgrip_kernel.nameko import EventStoreProvider

from ..adapters.hgrg_client import HgrgClient
from ..adapters.read_models import sql_pusher
from ..adapters.settings import SyncSettings
from ..app.ports import DueRow
from ..app.pushing import Claim

log = get_logger("registry-sync.pusher")


class SyncPusherProvider(DependencyProvider):
    def setup(self):
        self.settings = SyncSettings.from_config(self.container.config)
        self.instance = f"registry-sync@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=self.settings.lease)   # (Handover) of the rows handed over
        self._wake = threading.Event()
        self._handed: list[Claim] = []
        self._poll_at = 0.0   # when to claim due rows from the database next
        self._stopping = False
        self._dispatcher = None
        self.pusher = None

    def start(self):
        # The service's own store (and engine): on SQLite a second engine in this process would
        # wait for the file lock inside C, blocking every green thread.
        store = next(dep.store for dep in self.container.dependencies
                     if isinstance(dep, EventStoreProvider))
        client = HgrgClient(self.settings.hgrg_url, self.settings.secret, self.settings.timeout,
                            connections=self.settings.concurrency)
        self.pusher = sql_pusher(store, client, self.settings.lease, instance=self.instance,
                                 overdue_after=timedelta(seconds=self.settings.overdue))
        self._pool = GreenPool(self.settings.concurrency)
        self._dispatcher = self.container.spawn_managed_thread(self._dispatch, "sync_pusher")
        log.info("sync_pusher_started", instance=self.instance, hgrg_url=self.settings.hgrg_url,
                 concurrency=self.settings.concurrency, batch_size=self.settings.batch_size,
                 lease_s=self.settings.lease,
                 overdue_s=self.settings.overdue)

    def hand_over(self, row: DueRow) -> None:
        """Push this committed row soon: it was leased to this pusher when it was written."""
        self._handed.append(Claim(row.key, row.payload, row.correlation_id, row.attempts + 1, row.queue))
        self._wake.set()

    @property
    def pushing_first(self) -> bool:
        return not self._stopping and self.pusher.answering

    def push_first(self, claims):
        """The intake's batch of new numbers, pushed before it is recorded, in one of the batch slots
        (waiting for one: at most SYNC_CONCURRENCY batches of SYNC_BATCH_SIZE are in flight to HGRG);
        None — pushed by no one — while HGRG did not answer the last push, for a batch larger than
        SYNC_BATCH_SIZE, or when the service is stopping."""
        if not self.pushing_first or len(claims) > self.settings.batch_size:
            return None
        return self._pool.spawn(self.pusher.push_first, claims).wait()

    def record_first(self, uow, now, push, claim, outcome):
        return self.pusher.record_first(uow, now, push, claim, outcome)

    def _dispatch(self):
        failures = 0
        batch = self.settings.batch_size
        while not self._stopping:
            self._wake.clear()   # before the pass: a wake during it triggers another at once
            if self._pool.free():
                claims, self._handed = self._handed[:batch], self._handed[batch:]
                if len(claims) < batch and time.monotonic() >= self._poll_at:
                    self._poll_at = time.monotonic() + self.settings.poll_interval
                    try:
                        claims += self.pusher.claim(batch - len(claims))
                        failures = 0
                    except Exception as exc:   # database away: nothing was claimed, try again later
                        failures += 1
                        retry_in = min(0.5 * 2 ** (failures - 1), 10.0)
                        self._poll_at = time.monotonic() + retry_in
                        log.warning("sync_claim_failed", error=repr(exc), retry_in=retry_in)
                if claims:
                    self._pool.spawn_n(self._process, claims)
                if len(claims) == batch and self._pool.free():
                    continue   # more may be due at once only after a full batch
            # Not a plain sleep: a hand-over, a finished batch or stop() wakes it.
            busy = not self._pool.free()
            self._wake.wait(self.settings.poll_interval if busy else max(0.0, self._poll_at - time.monotonic()))

    def _process(self, claims):
        try:
            self.pusher.process(claims)
        except Exception as exc:   # outcome not recorded: the rows' leases run out, then they are due again
            log.error("sync_record_failed", items=len(claims), keys=[claim.key for claim in claims],
                      error=repr(exc), retry_after_s=self.settings.lease)
        finally:
            self._wake.set()   # a slot is free, and more rows may be due

    def stop(self):
        # Graceful: no new claims; pushes in flight finish and record their outcome.
        self._stopping = True
        self._wake.set()
        if self._dispatcher is not None:
            self._dispatcher.wait()
            self._pool.waitall()
            self.pusher.client.close()

    def kill(self):
        # Abrupt: pushes in flight are abandoned; their leases run out and others redo them.
        self._stopping = True
        self._wake.set()
        if self._dispatcher is not None:
            for thread in list(self._pool.coroutines_running):
                eventlet.greenthread.kill(thread)

    def get_dependency(self, worker_ctx):
        return self
