"""The outbox worker: `flask crm worker` (one claiming thread and a pool of sending threads), or a thread in
development."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from datetime import timedelta

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from crm.extensions import db
from crm.lib.memory import release_free_memory
from crm.outbox.bulk import HAND_OVER
from crm.outbox.models import MailBatch, OutboundMessage
from crm.outbox.services import (
    JOBS_CHANNEL,
    SEND_FAILURES,
    claim_messages,
    expire_leases,
    hand_over,
    paused_until,
    record_accepted,
    record_failure,
    release,
    settle_unknown,
    utcnow,
    worker_name,
)

log = logging.getLogger(__name__)
RECORD_AFTER_SECONDS = 1.0  # how long an acceptance may wait to be recorded with others
RECORD_WINDOW_SECONDS = 0.25  # how long `crm worker` lets outcomes gather before recording them
# How long a thread of `crm worker` may hold the GIL while another waits (Python's default: 5 ms).
# On a busy machine each forced hand-over can wait for the OS to run the thread taking the GIL
# (design-notes, "outbox/worker.py: SWITCH_INTERVAL").
SWITCH_INTERVAL = 0.05
PERSONAL_UNITS_IN_FLIGHT = 2  # bulk requests with per-recipient text in flight at once (memory)
RELISTEN_SECONDS = 60  # how long a worker whose LISTEN connection was lost waits before it tries again

# What became of one send unit: the provider's message id, why it was not taken, or (a bulk batch
# sent by a sender thread) RECORDED or RECORDED_PAUSED.
Result = tuple[list[OutboundMessage], object]


class JobsListener:
    """The jobs thread's wait between passes. On PostgreSQL it LISTENs on JOBS_CHANNEL, so a mailing sent now is
    queued at once rather than at the next pass; elsewhere it waits the interval, as it does while its connection
    is lost (it tries again every RELISTEN_SECONDS)."""

    def __init__(self, engine=None) -> None:
        self.engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self.connection = None
        self.listen_after = 0.0
        self.listen()

    def listen(self) -> None:
        """Open the LISTEN connection, unless there is none to open or the last attempt was too recent."""
        if self.engine is None or self.connection is not None or time.monotonic() < self.listen_after:
            return
        try:
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.connection.exec_driver_sql(f"LISTEN {JOBS_CHANNEL}")
        except Exception:
            log.exception("outbox worker: cannot LISTEN for jobs; its passes run every interval meanwhile")
            self.lost()

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Wait up to `seconds`, less if notified (stop is checked every quarter second); True if told to stop."""
        deadline = time.monotonic() + seconds
        self.listen()
        while self.connection is not None and not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            try:
                notifies = self.connection.connection.driver_connection.notifies(timeout=min(left, 0.25), stop_after=1)
                with contextlib.closing(notifies):
                    if any(True for _ in notifies):
                        return stop.is_set()
            except Exception:
                log.exception("outbox worker: lost its LISTEN connection; its passes run every interval meanwhile")
                self.lost()
        return stop.wait(max(deadline - time.monotonic(), 0))

    def lost(self) -> None:
        self.close()
        self.listen_after = time.monotonic() + RELISTEN_SECONDS

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def maintain(session) -> None:
    """Expire dead leases and settle unknown messages; cheap enough to run before every claim."""
    expire_leases(session)
    settle_unknown(session)


# Jobs higher packages add to every worker pass (crm.mailings queues the mailings that are due), so
# the outbox drives them without importing them. Each is called as job(session, now), committed on
# its own; one that returns AGAIN is called again at once (a long job, a committed step at a time).
_pass_jobs: list[tuple[object, bool]] = []  # (job, hands over), those that hand over first
AGAIN = "again"


def add_pass_job(job, hands_over: bool = False) -> None:
    """Run `job(session, now)` in every pass of every worker (the `crm worker` process and the dev thread); with
    `hands_over`, before the others and offered the worker's HandOver (it queues mail a lead is waiting for)."""
    if all(job is not added for added, _ in _pass_jobs):
        _pass_jobs.append((job, hands_over))
        _pass_jobs.sort(key=lambda entry: not entry[1])


def run_pass_jobs(session, after_commit=None, stop: threading.Event | None = None, hand_over=None) -> None:
    """Run the added jobs, each in transactions of its own: one that fails is logged and the others still run; one
    that returns AGAIN runs again (until `stop`), `after_commit()` told each time. They get a session of their own
    (a job's rollback must not expire the messages sender threads are reading), offering `hand_over` (HandOver)."""
    with Session(session.get_bind(), expire_on_commit=False) as own:
        for job, hands_over in list(_pass_jobs):
            offered = hand_over if hands_over else None
            own.info[HAND_OVER] = offered
            while _run_job(own, job, offered) is AGAIN and not (stop is not None and stop.is_set()):
                if after_commit is not None:
                    after_commit()
    release_free_memory()  # a mailing's queueing frees some 10 MB the sending threads could not reuse


def _run_job(session, job, hand_over=None):
    """Run one pass job and commit: what it returned, or None if it failed (logged, rolled back). What it wrote
    claimed for `hand_over` goes to the senders once committed, and is forgotten if rolled back."""
    try:
        result = job(session, utcnow())
        session.commit()
    except Exception:
        log.exception("outbox: pass job %s failed", getattr(job, "__name__", job))
        session.rollback()
        if hand_over is not None:
            hand_over.rolled_back()
        return None
    if hand_over is not None:
        hand_over.committed(session)
    return result


class HandedUnit(list):
    """Messages of one bulk batch a pass job wrote already claimed by this worker (HandOver): sent as they are."""

    def receipt(self) -> HandedUnit:
        """What the claiming thread gets back once the unit is sent and recorded: its size, not its messages (a
        result may wait there a while, and 500 messages are some 1.2 MB)."""
        return HandedUnit([None] * len(self))


class HandOver:
    """Lets the jobs thread's pass jobs write personal messages already claimed by this worker (status `sending`,
    under its lease) and hands them, once committed, to its bulk senders as they were rendered: no claim UPDATE,
    no reading them back. Design: docs/design-notes.md, "outbox/worker.py: HandOver"."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.pending: list[tuple[list[dict], list[int]]] = []  # written in the open transaction
        self.batches: dict[int, MailBatch] = {}  # detached copies, shared by the handed messages
        self.declined = False  # rows were written unclaimed since the claiming thread was last woken

    def claim(self, session, rows: list[dict]) -> bool:
        """Mark rows about to be written as claimed by this worker; False (they stay queued) when stopping or
        while sending is paused."""
        if self.worker.stop.is_set() or paused_until(session) is not None:
            self.declined = True
            return False
        now = utcnow()
        until = now + timedelta(seconds=self.worker.app.config["MAIL_LEASE_SECONDS"])
        claimed = {"status": "sending", "lease_owner": self.worker.owner, "lease_until": until, "attempts": 1}
        for row in rows:
            row.update(claimed, first_attempt_at=now)
        for batch_id in {row["batch_id"] for row in rows} - set(self.batches):
            self.batches[batch_id] = _detached(session.get(MailBatch, batch_id))
        return True

    def written(self, rows: list[dict], ids: list[int]) -> None:
        self.pending.append((rows, ids))

    def wake_if_queued(self) -> None:
        """After a commit: wake the claiming thread if rows were written unclaimed (a pause), not for each step."""
        if self.declined:
            self.declined = False
            self.worker.fresh.set()
            self.worker.wake.set()

    def rolled_back(self) -> None:
        self.pending.clear()

    def committed(self, session) -> None:
        """Hand what the committed transaction wrote to the senders, a bulk unit at a time (waiting for a free
        slot); when the worker is stopping, give the rest back to the queue instead."""
        pending, self.pending = self.pending, []
        units = [unit for rows, ids in pending for unit in self.units(rows, ids)]
        for index, unit in enumerate(units):
            if not self.worker.hand(unit):
                _give_back(session, units[index:], self.worker.owner)
                return

    def units(self, rows: list[dict], ids: list[int]) -> list[HandedUnit]:
        """The rows as HandedMessages, split into units of MAIL_BULK_SIZE members of one batch."""
        size = self.worker.bulk_size
        by_batch: dict[int, list[HandedMessage]] = {}
        for row, message_id in zip(rows, ids, strict=True):
            row["id"], row["batch"] = message_id, self.batches[row["batch_id"]]
            by_batch.setdefault(row["batch_id"], []).append(HandedMessage(row))
        return [
            HandedUnit(members[i : i + size]) for members in by_batch.values() for i in range(0, len(members), size)
        ]


class HandedMessage:
    """A handed message as the senders read it: its row's values (and `id`, `batch`) as attributes, the row dict
    itself as the instance's dict. An OutboundMessage made for each would cost 0.9 s of a 100k mailing."""

    reply_to = html_body = created_at = provider_message_id = last_error = None
    content = OutboundMessage.content

    def __init__(self, row: dict) -> None:
        self.__dict__ = row


def _detached(batch: MailBatch) -> MailBatch:
    """A copy of a batch's frame that belongs to no session, for sender threads to read."""
    return MailBatch(
        id=batch.id,
        kind=batch.kind,
        from_address=batch.from_address,
        subject=batch.subject,
        text_body=batch.text_body,
        html_body=batch.html_body,
    )


def _claim_units(session, owner: str, limit: int, bulk_size: int, top_up: bool = True) -> list[list[OutboundMessage]]:
    """Claim up to `limit` due messages and split them into send units: single messages, and the members of
    each bulk batch, up to `bulk_size` a unit (topped up now, or by the thread that sends them)."""
    claimed = claim_messages(session, owner, limit)
    singles = [[message] for message in claimed if message.batch_id is None]
    batches: dict[int, list[OutboundMessage]] = {}
    for message in claimed:
        if message.batch_id is not None:
            batches.setdefault(message.batch_id, []).append(message)
    bulk = [members[i : i + bulk_size] for members in batches.values() for i in range(0, len(members), bulk_size)]
    return [_top_up(session, owner, unit, bulk_size) for unit in bulk] + singles if top_up else bulk + singles


def _top_up(session, owner: str, members: list[OutboundMessage], bulk_size: int) -> list[OutboundMessage]:
    """Claim more members of the same bulk batch, up to `bulk_size`, and attach the batch to each, so no
    query runs while the provider is called."""
    batch_id = members[0].batch_id
    if len(members) < bulk_size:
        members = members + claim_messages(session, owner, bulk_size - len(members), batch_id=batch_id)
    batch = session.get(MailBatch, batch_id)
    for member in members:
        set_committed_value(member, "batch", batch)
    return members


def _attempt(mailer, unit: list[OutboundMessage]) -> str | Exception:
    """Hand one unit to the provider: its message id, or the failure."""
    try:
        return hand_over(mailer, unit)
    except SEND_FAILURES as error:
        return error


# Outcomes a sending thread has dealt with itself (a bulk batch it recorded, or a unit it left to
# its lease after an unexpected error): the claiming thread only counts them.
RECORDED, RECORDED_PAUSED = object(), object()


def _record(session, results: list[Result], owner: str) -> bool:
    """Record what became of some units and commit: the acceptances in one UPDATE, failures one by one.
    Returns True if the provider said 429 (sending is now paused)."""
    record_accepted(session, [(unit, outcome) for unit, outcome in results if isinstance(outcome, str)], owner)
    paused = any(outcome is RECORDED_PAUSED for _, outcome in results)
    for unit, outcome in results:
        if isinstance(outcome, Exception):
            paused = record_failure(session, unit, owner, outcome) == "paused" or paused
    session.commit()
    return paused


def _record_or_log(session, results: list[Result], owner: str) -> bool:
    """_record after an unexpected error: what the provider took is recorded if the database allows."""
    session.rollback()
    try:
        return _record(session, results, owner)
    except Exception:  # the leases expire and the messages become unknown; never lose them silently
        log.exception("outbox: could not record %d unit(s) (owner %s)", len(results), owner)
        session.rollback()
        return False


def run_pass(app, owner: str, limit: int | None = None, maintenance: bool = True) -> int:
    """One pass in this thread: maintain, claim, send unit by unit and record, with no transaction open
    while the provider is called. Returns how many messages were claimed.
    Design: docs/design-notes.md, "outbox/worker.py: run_pass"."""
    with app.app_context(), Session(db.engine, expire_on_commit=False) as session:
        if maintenance:
            maintain(session)
            session.commit()
            run_pass_jobs(session)
        units = _claim_units(session, owner, limit or app.config["MAIL_CLAIM_BATCH"], app.config["MAIL_BULK_SIZE"])
        session.commit()
        mailer = app.extensions["crm.mailer"]
        results: list[Result] = []
        oldest = time.monotonic()
        try:
            for index, unit in enumerate(units):
                if not results:
                    oldest = time.monotonic()
                results.append((unit, _attempt(mailer, unit)))
                if isinstance(results[-1][1], str) and time.monotonic() - oldest < RECORD_AFTER_SECONDS:
                    continue
                paused = _record(session, results, owner)
                results.clear()
                if paused:
                    release(session, [m.id for rest in units[index + 1 :] for m in rest], owner)
                    session.commit()
                    break
            _record(session, results, owner)
        except Exception:
            log.exception("outbox: sending failed unexpectedly (owner %s)", owner)
            _record_or_log(session, results, owner)
    return sum(len(unit) for unit in units)


def _idle_wait(session, interval: float) -> float:
    until = paused_until(session)
    session.rollback()
    return interval if until is None else min(max((until - utcnow()).total_seconds(), 0.2), 60)


def _drain(todo: queue.SimpleQueue) -> list[list[OutboundMessage]]:
    """The units no sender has taken yet."""
    units = []
    while True:
        try:
            units.append(todo.get_nowait())
        except queue.Empty:
            return units


def _personal(unit: list[OutboundMessage]) -> bool:
    """A unit of a bulk batch whose recipients each have their own text (backends.personal, without loading the
    batch: the claiming thread does not attach it)."""
    return unit[0].batch_id is not None and bool(unit[0].text_body)


def _give_back(session, units: list[list[OutboundMessage]], owner: str) -> None:
    """Release claimed units that were not sent (after a 429, or when stopping); if the database refuses,
    their leases expire instead and they are settled like a crash's."""
    try:
        release(session, [m.id for unit in units for m in unit], owner)
        session.commit()
    except Exception:
        log.exception("outbox: could not give back %d unsent unit(s) (owner %s)", len(units), owner)
        session.rollback()


def _send_bulk(session, mailer, seed: list[OutboundMessage], owner: str, bulk_size: int) -> Result:
    """A sending thread's whole job for a bulk batch: claim its top-up (not a handed unit's), send it and record
    the outcome."""
    unit, results = seed, []
    try:
        if not isinstance(seed, HandedUnit):
            unit = _top_up(session, owner, seed, bulk_size)
            session.commit()
        results.append((unit, _attempt(mailer, unit)))
        paused = _record(session, results, owner)
    except Exception:
        log.exception("outbox: sending a bulk batch failed unexpectedly (owner %s)", owner)
        paused = _record_or_log(session, results, owner)
    return unit, RECORDED_PAUSED if paused else RECORDED


def run_worker(
    app, *, once: bool = False, concurrency: int = 8, interval: float = 2.0, stop: threading.Event | None = None
) -> int:
    """The `flask crm worker` process: this thread claims, records and maintains; `concurrency` threads send.
    With `once`, it stops when nothing is due or in flight. Returns how many messages were handed over.
    Design: docs/design-notes.md, "outbox/worker.py: run_worker"."""
    return _Worker(app, max(1, concurrency), interval, stop or threading.Event()).run(once)


class _Worker:
    """One worker process: the claiming thread's state, its sender threads and the queues between them."""

    def __init__(self, app, concurrency: int, interval: float, stop: threading.Event) -> None:
        self.app, self.interval, self.stop = app, interval, stop
        self.owner = worker_name()
        self.capacity, self.bulk_size = app.config["MAIL_CLAIM_BATCH"], app.config["MAIL_BULK_SIZE"]
        self.share = max(1, self.capacity // concurrency)
        self.mailer = app.extensions["crm.mailer"]
        self.todo: queue.SimpleQueue = queue.SimpleQueue()
        # Personal bulk units go to threads of their own, as many as may be in flight: with all 8 senders
        # taking turns at them, a 100k mailing's worker peaked 3-4 MB higher (101 vs 98 MB, 113 vs 109).
        self.personal: queue.SimpleQueue = queue.SimpleQueue()
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.lanes = [(self.todo, "outbox", concurrency), (self.personal, "outbox-bulk", PERSONAL_UNITS_IN_FLIGHT)]
        self.threads = [
            threading.Thread(target=self.sender, args=(todo,), name=f"{name}-{i}", daemon=True)
            for todo, name, count in self.lanes
            for i in range(count)
        ]
        self.handled = self.in_flight = 0
        self.exhausted = False  # the last claim found fewer due messages than it asked for
        self.results: list[Result] = []  # arrived, not yet recorded
        self.next_maintenance = 0.0
        self.jobs_thread: threading.Thread | None = None  # the pass jobs, apart from claiming and sending
        self.fresh = threading.Event()  # the jobs thread committed mail (a mailing's step): claim again
        self.wake = threading.Event()  # mail was committed or handed over: stop waiting for it
        # Units the jobs thread hands over (HandOver): at most one waits while the bulk senders are busy
        self.handed_slots = threading.BoundedSemaphore(PERSONAL_UNITS_IN_FLIGHT + 1)
        self.handed_lock = threading.Lock()
        self.handed_out = 0  # handed units whose result the claiming thread has not had back

    def weight(self, unit: list[OutboundMessage]) -> int:
        """A unit's share of the claim capacity (none for a handed unit: its slots bound it); a personal bulk batch
        weighs more (memory)."""
        if isinstance(unit, HandedUnit):
            return 0
        if unit[0].batch_id is None:
            return len(unit)
        # A personal batch carries each recipient's own text (some 4 MB for 500): few at once.
        return max(self.share, self.capacity // PERSONAL_UNITS_IN_FLIGHT) if _personal(unit) else self.share

    def unsent(self) -> list[list[OutboundMessage]]:
        """The units no sender has taken yet, from both lanes (handed ones no longer hold a slot)."""
        units = _drain(self.todo) + _drain(self.personal)
        for unit in units:
            if isinstance(unit, HandedUnit):
                self.handed_slots.release()
        self.handed_back(units)
        return units

    def hand(self, unit: HandedUnit) -> bool:
        """(Jobs thread.) Put a handed unit in the bulk lane once a slot is free; False if the worker stops first."""
        while not self.handed_slots.acquire(timeout=0.25):
            if self.stop.is_set():
                return False
        with self.handed_lock:
            self.handed_out += 1
        self.personal.put(unit)
        self.wake.set()  # its result must be collected: a sent unit holds its messages until recorded
        return True

    def handed_back(self, units) -> None:
        """Count the handed units among `units` (results, or units given back unsent) as back."""
        back = sum(isinstance(unit, HandedUnit) for unit in units)
        if back:
            with self.handed_lock:
                self.handed_out -= back

    def busy(self) -> bool:
        """Units are in flight: claimed, or handed by the jobs thread."""
        return bool(self.in_flight or self.handed_out)

    def sender(self, todo: queue.SimpleQueue) -> None:
        """Hand single messages over; a bulk batch is claimed, sent and recorded here, on this thread's
        session, so several go at once. Every unit taken gets one result."""
        with self.app.app_context(), Session(db.engine, expire_on_commit=False) as session:
            while (unit := todo.get()) is not None:
                try:
                    result = (
                        (unit, _attempt(self.mailer, unit))
                        if unit[0].batch_id is None
                        else _send_bulk(session, self.mailer, unit, self.owner, self.bulk_size)
                    )
                except Exception:  # a bug, not the provider: the leases expire, as in a crash
                    log.exception("outbox sender: unexpected failure (owner %s)", self.owner)
                    result = (unit, RECORDED)
                if isinstance(unit, HandedUnit):
                    result = (unit.receipt(), result[1])
                    self.handed_slots.release()
                self.done.put(result)

    def run(self, once: bool) -> int:
        """Start the senders, loop until told to stop (or, with `once`, until idle), then shut down."""
        for thread in self.threads:
            thread.start()
        self.jobs_thread = threading.Thread(target=self.run_jobs, args=(once,), name="outbox-jobs", daemon=True)
        self.jobs_thread.start()
        with self.app.app_context(), Session(db.engine, expire_on_commit=False) as session:
            while True:
                try:
                    if not self.step(session, once):
                        break
                except Exception:  # a database hiccup: wait, then carry on (unrecorded results are kept)
                    log.exception("outbox worker %s: pass failed", self.owner)
                    session.rollback()
                    if once or self.stop.is_set():  # leases protect what is left: unknown, then settled
                        break
                    self.stop.wait(min(self.interval, 1.0))
            self.shut_down(session)
        log.info("outbox worker %s stopping after %d message(s)", self.owner, self.handled)
        return self.handled

    def step(self, session, once: bool) -> bool:
        """One turn of the loop: maintain, claim, then wait for results and record them. False: stop (with
        `once`, when nothing is in flight and the jobs thread, checked before the claim, has finished)."""
        jobs_done = not self.jobs_thread.is_alive()
        if self.fresh.is_set():
            self.fresh.clear()
            self.exhausted = False
        self.maintain_when_due(session)
        self.claim(session)
        if not self.busy():
            if self.stop.is_set() or (once and jobs_done):
                return False
            if not self.wait_for_mail(_idle_wait(session, self.interval)):
                self.exhausted = False  # a whole wait: look for what others queued (a unit handed over is not that)
            return True
        if self.collect():
            self.record(session)
        return True

    def wait_for_mail(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking when the jobs thread commits or hands over mail, or (within a quarter
        second) on stop; True if woken by the jobs thread."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if self.wake.wait(min(left, 0.25)):
                self.wake.clear()
                return True
        return False

    def maintain_when_due(self, session) -> None:
        """Expire leases and settle unknown messages every `interval` seconds."""
        if time.monotonic() >= self.next_maintenance:
            maintain(session)
            session.commit()
            self.next_maintenance = time.monotonic() + self.interval
            self.exhausted = False  # leases it expired, and what others queued meanwhile, are claimable

    def run_jobs(self, once: bool) -> None:
        """The jobs thread: the pass jobs (due mailings, scheduled jobs) every `interval` seconds (with `once`, one
        round), so a long job never holds up claiming and sending: a mailing's recipients go out while the later
        steps of its queueing are written. Notified (JobsListener), it starts the next pass at once."""
        with (
            self.app.app_context(),
            Session(db.engine, expire_on_commit=False) as session,
            contextlib.closing(JobsListener(None if once else db.engine)) as listener,
        ):
            while True:
                try:
                    hand_over = HandOver(self)
                    run_pass_jobs(session, after_commit=hand_over.wake_if_queued, stop=self.stop, hand_over=hand_over)
                except Exception:  # run_pass_jobs logs each job's failure; this is the database going away
                    log.exception("outbox worker %s: pass jobs failed", self.owner)
                self.fresh.set()  # what the round committed is claimable
                self.wake.set()
                if once or listener.wait(self.interval, self.stop):
                    return

    def claim(self, session) -> None:
        """Claim due messages for the senders whenever a quarter of the capacity is free."""
        while (
            not self.stop.is_set()
            and not self.exhausted
            and (free := self.capacity - self.in_flight) >= max(1, self.capacity // 4)
        ):
            units = _claim_units(session, self.owner, free, self.bulk_size, top_up=False)
            session.commit()
            self.exhausted = sum(len(unit) for unit in units) < free
            for unit in units:
                (self.personal if _personal(unit) else self.todo).put(unit)
                self.in_flight += self.weight(unit)

    def collect(self) -> bool:
        """Wait briefly for a result, then let more gather until they are worth recording; False if none came."""
        try:
            self.results.append(self.done.get(timeout=min(self.interval, 1.0)))
        except queue.Empty:
            return False
        deadline = time.monotonic() + RECORD_WINDOW_SECONDS
        while not self.worth_recording() and (left := deadline - time.monotonic()) > 0:
            try:
                self.results.append(self.done.get(timeout=left))
            except queue.Empty:
                break
        while not self.done.empty():
            self.results.append(self.done.get())
        return True

    def worth_recording(self) -> bool:
        """Record now, not at the window's end: a failure came back (a 429 must stop the senders), or
        everything in flight did, or enough to claim more (a quarter of the capacity)."""
        if any(not isinstance(outcome, str) for _, outcome in self.results):
            return True
        back = sum(self.weight(unit) for unit, _ in self.results)
        return back >= self.in_flight or back >= max(1, self.capacity // 4)

    def record(self, session) -> None:
        """Record the results in one go; after a 429, give the units no sender has taken back."""
        paused = _record(session, self.results, self.owner)
        self.in_flight -= sum(self.weight(unit) for unit, _ in self.results)
        self.handed_back([unit for unit, _ in self.results])
        self.handled += sum(len(unit) for unit, _ in self.results)
        self.results = []
        if paused:
            unsent = self.unsent()
            self.in_flight -= sum(self.weight(unit) for unit in unsent)
            _give_back(session, unsent, self.owner)

    def shut_down(self, session) -> None:
        """Stop the jobs thread (it finishes the step it is in, handing nothing more), give back what no sender took,
        stop the senders and record their last results."""
        self.stop.set()
        if self.jobs_thread is not None:
            self.jobs_thread.join()
        _give_back(session, self.unsent(), self.owner)
        for todo, _, count in self.lanes:
            for _ in range(count):
                todo.put(None)
        for thread in self.threads:
            thread.join()
        while not self.done.empty():
            self.results.append(self.done.get())
        if self.results:
            _record_or_log(session, self.results, self.owner)
            self.handled += sum(len(unit) for unit, _ in self.results)


def start_worker_thread(app) -> threading.Thread:
    """Development: deliver queued mail in-process, so `make run` needs no second command."""
    stop = threading.Event()
    app.extensions["crm.worker_stop"] = stop

    def loop():
        while not stop.wait(app.config["MAIL_WORKER_INTERVAL"]):
            try:
                while run_pass(app, worker_name()) and not stop.is_set():
                    pass
            except Exception:  # keep the thread alive; the rows stay for the next pass
                log.exception("outbox worker pass failed")

    thread = threading.Thread(target=loop, name="outbox-worker", daemon=True)
    thread.start()
    return thread
