"""One tick of the reminder engine: ask the database what is due, claim it, send it, record it.

`send_due(session, now, senders, ...)` is all a scheduler calls. The database decides:

1. Due reminders come from the index on `reminders (next_due_at, id)`, in that order, never from
   walking every schedule, so a tick costs in proportion to what is due.
2. They are claimed in small chunks (CHUNK reminders). Every (reminder, occurrence, channel) is
   inserted under a unique key with INSERT .. ON CONFLICT DO NOTHING .. RETURNING as "sending"
   with a lease (`next_attempt_at` = claim time + the lease), and the reminder advanced to its
   next occurrence, in one transaction committed before anything is sent. Only the rows a
   process inserted itself are its to send, so two schedulers never send the same thing.
3. A chunk is sent by a few threads (WORKERS), each reusing one connection per channel, and each
   message is recorded as soon as it is answered; no new message is started while WORKERS are
   answered but not yet committed. So a process killed at any moment has at most WORKERS
   reminders out but unrecorded: those may go out twice. Every other claim it held is still
   "sending" with a lease that expires; the next tick of any scheduler takes it over and sends it
   (within its grace period). At least once, with at most WORKERS doubles per crash.
4. Each message stands alone: one that cannot be built, or that its sender refuses, is recorded
   "failed" with the reason for that patient alone; a channel that is down makes its messages
   "retry" with exponential backoff until their grace period ends.
5. An occurrence missed while no scheduler ran is sent late while still useful (within its
   kind's grace period), otherwise recorded as missed. Any error in a phase of the tick is
   logged and the tick goes on.
6. The delivery log keeps each row for the retention (at least the 14 days an action link in a
   notification works) and is pruned by the tick, a few small batches at a time.

On SQLite each claiming transaction starts with BEGIN IMMEDIATE (read and write under one lock,
no stale snapshot between two processes); on PostgreSQL due rows are locked FOR UPDATE SKIP
LOCKED. The unique key is what guarantees "once" on both.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, joinedload

from ..bone import nudges as bone_nudges
from ..bone.late import raise_late
from ..extensions import dialect_insert
from ..gcpause import gc_paused
from ..models import (
    Appointment,
    CheckIn,
    MedicineDose,
    PushSubscription,
    Reminder,
    ReminderCursor,
    ReminderDelivery,
    ReminderSettings,
    User,
)
from .channels import Outcome, Outgoing, PushTarget, Sender
from .followups import FOLLOW_UP_KINDS, follow_up_details
from .schedules import to_local
from .services import (
    ACTION_TOKEN_MAX_AGE,
    APPOINTMENT_KINDS,
    action_token,
    clock_words,
    grace_for,
    next_after,
    off_token,
    reminder_path,
    reminder_title,
    sync_appointment,
)

log = logging.getLogger(__name__)

CHUNK = 50  # reminders claimed and committed together
WORKERS = 8  # messages in flight at once per process: also the most a crash can double
LEASE = timedelta(minutes=2)  # a claim not recorded by then is taken over by the next tick
RETENTION = timedelta(days=30)  # the delivery log; never below what action links need
MIN_RETENTION = timedelta(seconds=ACTION_TOKEN_MAX_AGE)
PRUNE_BATCH = 1000
PRUNE_ROUNDS = 5  # at most PRUNE_BATCH x PRUNE_ROUNDS rows pruned per tick
MAX_CATCH_UP = 60  # occurrences of one reminder handled per tick after a long outage
APPOINTMENT_OVERLAP = timedelta(minutes=5)  # re-read recent changes: commits land late
BACKOFF_FIRST = 60
BACKOFF_MAX = 30 * 60
EPOCH = datetime(1970, 1, 1)
WAITING = ("retry", "snoozed", "sending")
LATE_CURSOR = "medicine_late"  # issue 12
LATE_EVERY = timedelta(
    minutes=15
)  # how often the late-medicine step looks  # "sending" whose lease ran out is waiting too


@lru_cache(maxsize=512)
def zone_of(name: str) -> ZoneInfo:
    """One ZoneInfo per zone name for the process (ZoneInfo's own cache keeps only a few)."""
    return ZoneInfo(name)


@dataclass
class TickResult:
    due: int = 0
    sent: int = 0
    missed: int = 0
    skipped: int = 0
    retry: int = 0
    failed: int = 0
    appointments_synced: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text_ = (
            f"{self.due} due: {self.sent} sent, {self.missed} missed, {self.skipped} skipped, "
            f"{self.retry} to retry, {self.failed} failed"
        )
        if self.errors:
            text_ += f"; {len(self.errors)} error(s): " + "; ".join(self.errors)
        return text_


@dataclass
class _Context:
    """What sending needs of one reminder, read in batch before the claim commits."""

    reminder: Reminder
    user_id: int
    zone: ZoneInfo
    settings: ReminderSettings | None
    channels: list[str]
    title: str
    name: str
    email: str | None
    details: list[str]
    targets: list[PushTarget]
    grace: timedelta
    appointment_uuid: str | None
    checkin_days: set
    doses: set


@dataclass
class _Plan:
    occurrences: list[tuple[datetime, datetime, str]]  # (occurrence, due, fate)
    next_occurrence: datetime | None
    next_due: datetime | None


def send_due(
    session: Session,
    now: datetime,
    senders: Mapping[str, Sender],
    *,
    secret_key: str,
    base_url: str,
    chunk: int = CHUNK,
    workers: int = WORKERS,
    lease: timedelta = LEASE,
    retention: timedelta = RETENTION,
    time_budget: float = 300.0,
) -> TickResult:
    """One tick. Returns what happened; never raises for a failing channel or phase.

    A tick drains what is due at `now`, chunk after chunk; past `time_budget` seconds it stops
    claiming (so retries and pruning still get their turn) and the next tick goes on.
    """
    result = TickResult()
    started = clock.monotonic()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reminders") as pool:
        tick = _Tick(session, now, senders, secret_key, base_url, result, pool, workers, lease)
        tick.phase("sync appointments", tick.sync_appointments)
        tick.phase("raise late medicines", tick.raise_late_medicines)  # issue 12
        for name, work in (("send due reminders", tick.send_due_chunk),
                           ("send retries", tick.send_retries_chunk)):  # fmt: skip
            while tick.phase(name, partial(work, chunk)):
                if clock.monotonic() - started > time_budget:
                    break
        tick.phase("prune the delivery log", lambda: tick.prune(max(retention, MIN_RETENTION)))
    return result


def _send_one(sender: Sender, message: Outgoing) -> Outcome:
    """A sender that raises fails only this message, and only until its next attempt."""
    try:
        return sender.send(message)
    except Exception as error:  # noqa: BLE001 - one message, never the chunk
        log.exception("reminders: %s sender failed on delivery %s", message.channel,
                      message.delivery_id)  # fmt: skip
        return Outcome("retry", f"{type(error).__name__}: {error}"[:300])


@dataclass
class _Claim:
    """A delivery row this process holds: what recording its outcome needs."""

    reminder_id: int
    attempts: int
    due_at: datetime
    grace: timedelta
    no_grace: bool = False  # snoozed: the patient asked for it later, send it whenever


class _Tick:
    def __init__(
        self,
        session: Session,
        now: datetime,
        senders: Mapping[str, Sender],
        secret_key: str,
        base_url: str,
        result: TickResult,
        pool: ThreadPoolExecutor,
        workers: int,
        lease: timedelta,
    ):
        self.session = session
        self.now = now
        self.senders = senders
        self.secret_key = secret_key
        self.base_url = base_url
        self.result = result
        self.pool = pool
        self.workers = workers
        self.lease = lease
        # Stop starting messages this long before a chunk's lease ends (a send may take that).
        self.lease_margin = min(lease.total_seconds() / 2, 30.0)
        self.dialect = session.get_bind().dialect.name
        self._started = clock.monotonic()
        self._claims: dict[int, _Claim] = {}
        self._bone_open: dict[int, list[str]] = {}  # issue 12: open checklist items, by patient

    # --- plumbing ------------------------------------------------------------------------------

    def phase(self, name: str, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except Exception as error:  # noqa: BLE001 - a failing phase must never stop the loop
            log.exception("reminders: %s failed", name)
            self.session.rollback()
            self.result.errors.append(f"{name}: {type(error).__name__}: {error}"[:300])
            return None

    def moment(self) -> datetime:
        """`now` moved on by the time this tick has taken (claims of a long tick lease from
        when they were made)."""
        return self.now + timedelta(seconds=clock.monotonic() - self._started)

    def begin_write(self) -> None:
        """Starts a transaction that holds the write lock from its first read (SQLite)."""
        self.session.commit()
        if self.dialect == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE"))

    def insert(self, table: Any) -> Any:
        """INSERT with ON CONFLICT DO NOTHING available, for this database."""
        return dialect_insert(self.session, table)

    def locked(self, statement: Any, of: Any = Reminder) -> Any:
        if self.dialect == "postgresql":
            return statement.with_for_update(skip_locked=True, of=of)
        return statement

    # --- phases --------------------------------------------------------------------------------

    def sync_appointments(self) -> None:
        """Gives appointments changed since the last look (by any code path) their reminders.

        Safe with several schedulers at once: the cursor row is locked for the step (the
        PostgreSQL processes that find it locked skip the step this tick; SQLite serialises the
        whole transaction), and a reminder is created with INSERT .. ON CONFLICT DO NOTHING on
        its unique appointment, so a row another process (or a web request) made first is
        taken over, never a unique-key error.
        """
        self.begin_write()
        table = ReminderCursor.__table__
        self.session.execute(
            self.insert(table)
            .values(name="appointments", position=EPOCH)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        cursor = self.session.scalar(
            self.locked(
                select(ReminderCursor).where(ReminderCursor.name == "appointments"),
                of=ReminderCursor,
            ).execution_options(populate_existing=True)
        )
        if cursor is None:  # another scheduler is on it right now
            self.session.commit()
            return
        since = cursor.position - APPOINTMENT_OVERLAP if cursor.position > EPOCH else EPOCH
        changed = list(
            self.session.scalars(
                select(Appointment)
                .where(Appointment.updated_at > since)
                .order_by(Appointment.updated_at)
            )
        )
        if not changed:
            self.session.commit()
            return
        user_ids = {a.user_id for a in changed}
        users = {u.id: u for u in self.session.scalars(select(User).where(User.id.in_(user_ids)))}
        settings = {
            s.user_id: s
            for s in self.session.scalars(
                select(ReminderSettings).where(ReminderSettings.user_id.in_(user_ids))
            )
        }
        self._insert_missing_appointment_reminders(changed)
        existing = {
            r.appointment_id: r
            for r in self.session.scalars(
                select(Reminder)
                .where(Reminder.appointment_id.in_([a.id for a in changed]))
                .execution_options(populate_existing=True)
            )
        }
        for appointment in changed:
            reminder = existing.get(appointment.id)
            if reminder is None:  # past already, never given a reminder
                continue
            if reminder.source_updated_at == appointment.updated_at:
                continue
            sync_appointment(
                self.session,
                reminder,
                appointment,
                users[appointment.user_id],
                settings.get(appointment.user_id),
                self.now,
            )
            self.result.appointments_synced += 1
        position = max(a.updated_at for a in changed)
        if position > cursor.position:
            cursor.position = position
        self.session.commit()

    def raise_late_medicines(self) -> None:
        """Issue 12: raises `medicine_late` for long-interval doses past their margin, so it
        arises even if the patient never opens the app. At most every LATE_EVERY: the cursor
        row is locked for the step (as for appointments); each dose's unique `LateDose` row is
        what makes it once, whoever finds it."""
        self.begin_write()
        self.session.execute(
            self.insert(ReminderCursor.__table__)
            .values(name=LATE_CURSOR, position=EPOCH)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        cursor = self.session.scalar(
            self.locked(
                select(ReminderCursor).where(ReminderCursor.name == LATE_CURSOR),
                of=ReminderCursor,
            ).execution_options(populate_existing=True)
        )
        if cursor is None or self.now - LATE_EVERY < cursor.position <= self.now:
            self.session.commit()  # another scheduler is on it, or did it a moment ago
            return
        raise_late(self.session, self.now)
        cursor.position = self.now
        self.session.commit()

    def _insert_missing_appointment_reminders(self, changed: list[Appointment]) -> None:
        """A bare reminder row for each upcoming appointment that has none; a row made
        meanwhile by anyone else wins (its unique appointment_id), and is synced below."""
        upcoming = [a for a in changed if a.starts_at > self.now]
        if not upcoming:
            return
        have = set(
            self.session.scalars(
                select(Reminder.appointment_id).where(
                    Reminder.appointment_id.in_([a.id for a in upcoming])
                )
            )
        )
        rows = [
            {
                "user_id": a.user_id,
                "kind": "appointment",
                "enabled": True,
                "appointment_id": a.id,
                "frequency": "daily",
                "times": [],
                "weekdays": [],
                "created_at": self.now,
                "updated_at": self.now,
            }
            for a in upcoming
            if a.id not in have
        ]
        if rows:
            self.session.execute(
                self.insert(Reminder.__table__).on_conflict_do_nothing(
                    index_elements=["appointment_id"]
                ),
                rows,
            )

    def send_due_chunk(self, limit: int) -> bool:
        """Claims and sends up to `limit` due reminders; True when more may be due."""
        with gc_paused():
            self.begin_write()
            reminders = list(
                self.session.scalars(
                    self.locked(
                        select(Reminder)
                        .where(Reminder.next_due_at <= self.now)
                        .order_by(Reminder.next_due_at, Reminder.id)
                        .limit(limit)
                    ).options(joinedload(Reminder.appointment))
                )
            )
            if not reminders:
                self.session.commit()
                return False
            self.result.due += len(reminders)
            contexts, broken = self.contexts(reminders)
            plans = {}
            for reminder in reminders:
                if reminder.id in broken:
                    plans[reminder.id] = self.unplannable(reminder)
                    continue
                try:
                    plans[reminder.id] = self.plan(reminder, contexts[reminder.id])
                except Exception as error:  # noqa: BLE001 - this patient's reminder alone
                    broken[reminder.id] = _reason("could not plan this reminder", error)
                    plans[reminder.id] = self.unplannable(reminder)
            claimed_at = self.moment()
            claimed = self.claim(plans, contexts, broken, claimed_at)
            self.advance(reminders, plans)
            self._claims = {}
            messages, unbuilt = [], []
            for delivery_id, reminder_id, channel, status, due in claimed:
                if status != "sending":
                    continue
                context = contexts[reminder_id]
                self._claims[delivery_id] = _Claim(reminder_id, 1, due, context.grace)
                try:
                    messages.append(self.message(delivery_id, context, channel, due))
                except Exception as error:  # noqa: BLE001 - this patient's message alone
                    unbuilt.append((delivery_id, _reason("could not build the message", error)))
            self.fail(unbuilt)
            self.session.commit()  # claimed and advanced: another process will not send these
        self.deliver(messages, claimed_at)
        return len(reminders) == limit

    def contexts(self, reminders: list[Reminder]) -> tuple[dict[int, _Context], dict[int, str]]:
        """Everything sending needs, read in a few queries for the whole chunk; and the reason
        for each reminder whose own data made that fail."""
        session, now = self.session, self.now
        user_ids = {r.user_id for r in reminders}
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
        settings = {
            s.user_id: s
            for s in session.scalars(
                select(ReminderSettings).where(ReminderSettings.user_id.in_(user_ids))
            )
        }
        targets: dict[int, list[PushTarget]] = defaultdict(list)
        for sub in session.scalars(
            select(PushSubscription).where(PushSubscription.user_id.in_(user_ids))
        ):
            targets[sub.user_id].append(PushTarget(sub.id, sub.endpoint, sub.p256dh, sub.auth))
        checkin_days = self._checkin_days(reminders, users)
        self._bone_open = bone_nudges.open_items(
            session, {r.user_id for r in reminders if r.kind == bone_nudges.KIND}
        )
        doses = self._recorded_doses(reminders)
        contexts, broken = {}, {}
        for reminder in reminders:
            try:
                user = users[reminder.user_id]
                setting = settings.get(user.id)
                email_on = setting.email_enabled if setting is not None else True
                channels = (["push"] if targets.get(user.id) else []) + (
                    ["email"] if email_on and user.email and user.email_verified else []
                )
                grace = grace_for(reminder)
                appointment = reminder.appointment
                if reminder.kind == "appointment" and appointment is not None:
                    grace = min(grace, max(timedelta(0), appointment.starts_at - now))
                zone = zone_of(user.timezone)
                contexts[reminder.id] = _Context(
                    reminder=reminder,
                    user_id=user.id,
                    zone=zone,
                    settings=setting,
                    channels=channels,
                    title=reminder_title(reminder, zone, now),
                    name=user.name,
                    email=user.email,
                    details=[],
                    targets=targets.get(user.id, []),
                    grace=grace,
                    appointment_uuid=appointment.uuid if appointment is not None else None,
                    checkin_days=checkin_days,
                    doses=doses,
                )
            except Exception as error:  # noqa: BLE001 - this patient's data alone
                log.warning("reminders: reminder %s: %s", reminder.id, error)
                broken[reminder.id] = _reason("could not read this reminder", error)
        return contexts, broken

    def still_wanted(self, context: _Context, occurrence: datetime) -> bool:
        """False when the reminder has become pointless: done already, cancelled, switched off."""
        reminder = context.reminder
        if not reminder.enabled or reminder.deleted_at is not None:
            return False
        if reminder.kind == "checkin":
            day = to_local(occurrence, context.zone).date()
            return (reminder.user_id, day) not in context.checkin_days
        if reminder.kind == "medicine":
            return (reminder.id, occurrence) not in context.doses
        if reminder.kind == bone_nudges.KIND:  # issue 12: only while a checklist item is open
            return bool(self._bone_open.get(reminder.user_id))
        if reminder.kind in FOLLOW_UP_KINDS:  # issue 12: retired with its medicine, else wanted
            return True
        appointment = reminder.appointment
        return appointment is not None and appointment.cancelled_at is None

    def plan(self, reminder: Reminder, context: _Context) -> _Plan:
        """The occurrences now due, each with its fate, and the next occurrence after them."""
        occurrences: list[tuple[datetime, datetime, str]] = []
        occurrence, due = reminder.next_occurrence_at, reminder.next_due_at
        while (
            occurrence is not None
            and due is not None
            and due <= self.now
            and len(occurrences) < MAX_CATCH_UP
        ):
            if self.now - due > context.grace:
                fate = "missed"
            elif not self.still_wanted(context, occurrence):
                fate = "skipped"
            else:
                fate = "sending"
            occurrences.append((occurrence, due, fate))
            occurrence, due = next_after(reminder, context.zone, context.settings, occurrence)
        if occurrences:
            context.details = self._details(reminder, context.zone, occurrences[-1][0])
            if reminder.kind in FOLLOW_UP_KINDS:  # its words name the dose it is for
                context.title = reminder_title(reminder, context.zone, self.now, occurrences[-1][0])
        return _Plan(occurrences, occurrence, due)

    def unplannable(self, reminder: Reminder) -> _Plan:
        """A reminder whose own data cannot be planned: its occurrence is recorded failed, and it
        is looked at again in an hour (after a fix, it goes on by itself)."""
        due = reminder.next_due_at or self.now
        occurrence = reminder.next_occurrence_at or due
        return _Plan([(occurrence, due, "failed")], occurrence, self.now + timedelta(hours=1))

    def _checkin_days(self, reminders: list[Reminder], users: dict[int, User]) -> set:
        checkins = [r for r in reminders if r.kind == "checkin"]
        if not checkins:
            return set()
        days = set()
        for r in checkins:
            try:
                zone = zone_of(users[r.user_id].timezone)
                days.add(to_local(self.now, zone).date())
                if r.next_occurrence_at:
                    days.add(to_local(r.next_occurrence_at, zone).date())
            except Exception:  # noqa: BLE001, S112 - that reminder fails alone, in contexts()
                continue
        rows = self.session.execute(
            select(CheckIn.user_id, CheckIn.date)
            .where(CheckIn.user_id.in_({r.user_id for r in checkins}), CheckIn.date.in_(days))
            .distinct()
        )
        return {(user_id, day) for user_id, day in rows}

    def _recorded_doses(self, reminders: list[Reminder]) -> set:
        medicines = [r for r in reminders if r.kind == "medicine"]
        if not medicines:
            return set()
        since = self.now - timedelta(days=7)
        rows = self.session.execute(
            select(MedicineDose.reminder_id, MedicineDose.occurrence_at).where(
                MedicineDose.reminder_id.in_([r.id for r in medicines]),
                MedicineDose.occurrence_at >= since,
            )
        )
        return {(reminder_id, occurrence) for reminder_id, occurrence in rows}

    def _details(self, reminder: Reminder, zone: ZoneInfo, occurrence: datetime) -> list[str]:
        """Lines for the e-mail (never the push payload)."""
        if reminder.kind == "checkin":
            return ["It takes about one minute. Your answers help your doctor see how you are."]
        if reminder.kind in FOLLOW_UP_KINDS:
            return follow_up_details(reminder)
        if reminder.kind == "medicine":
            at = clock_words(to_local(occurrence, zone).time())
            what = f"{reminder.name}: {reminder.dose}" if reminder.dose else reminder.name
            return [what or "", f"Scheduled for {at}."]
        if reminder.kind == bone_nudges.KIND:
            return bone_nudges.nudge_details(self._bone_open.get(reminder.user_id, []))
        appointment = reminder.appointment
        if appointment is None:
            return []
        lines = [APPOINTMENT_KINDS.get(appointment.kind, "Appointment")]
        if appointment.with_whom:
            lines.append(f"With: {appointment.with_whom}")
        if appointment.location:
            lines.append(f"Where: {appointment.location}")
        if appointment.questions:
            lines.append(f"You wrote down {len(appointment.questions)} question(s) to ask.")
        return lines

    def claim(
        self,
        plans: dict[int, _Plan],
        contexts: dict[int, _Context],
        broken: dict[int, str],
        claimed_at: datetime,
    ) -> list[tuple]:
        """Inserts every planned row; returns only those this process inserted."""
        rows = []
        lease_ends = claimed_at + self.lease
        for reminder_id, plan in plans.items():
            context = contexts.get(reminder_id)
            # A reminder whose data could not be read is recorded (failed) once, on e-mail.
            channels = context.channels if context else ["email"]
            for occurrence, due, fate in plan.occurrences:
                self.result.missed += fate == "missed"
                self.result.skipped += fate == "skipped"
                self.result.failed += fate == "failed"
                sending = fate == "sending"
                for channel in channels:
                    rows.append(
                        {
                            "reminder_id": reminder_id,
                            "occurrence_at": occurrence,
                            "channel": channel,
                            "status": fate,
                            "due_at": due,
                            "claimed_at": claimed_at if sending else None,
                            "next_attempt_at": lease_ends if sending else None,
                            "attempts": 1 if sending else 0,
                            "last_error": broken.get(reminder_id),
                            "created_at": self.now,
                        }
                    )
        if not rows:
            return []
        table = ReminderDelivery.__table__
        statement = (
            self.insert(table)
            .on_conflict_do_nothing(index_elements=["reminder_id", "occurrence_at", "channel"])
            .returning(
                table.c.id, table.c.reminder_id, table.c.channel, table.c.status, table.c.due_at
            )
        )
        # One cached statement, sent in multi-row batches ("insertmanyvalues").
        return [tuple(row) for row in self.session.connection().execute(statement, rows)]

    def advance(self, reminders: list[Reminder], plans: dict[int, _Plan]) -> None:
        """Moves each reminder past what was handled; compare-and-set, so a slower process that
        read the same old value changes nothing."""
        table = Reminder.__table__
        params = [
            {
                "rid": r.id,
                "old": r.next_occurrence_at,
                "new_occurrence": plans[r.id].next_occurrence,
                "new_due": plans[r.id].next_due,
            }
            for r in reminders
        ]
        statement = (
            update(table)
            .where(table.c.id == bindparam("rid"), table.c.next_occurrence_at == bindparam("old"))
            .values(
                next_occurrence_at=bindparam("new_occurrence"), next_due_at=bindparam("new_due")
            )
        )
        self.session.connection().execute(statement, params)

    def message(self, delivery_id: int, context: _Context, channel: str, due: datetime) -> Outgoing:
        actions = []
        if context.reminder.kind == "medicine":
            token = action_token(self.secret_key, delivery_id)
            path = f"/reminders/act/{token}"
            actions = [
                ("taken", "Taken", f"/reminders/act/{token}/taken"),
                ("snooze", "Snooze 1 hour", f"/reminders/act/{token}/snooze"),
            ]
        elif context.reminder.kind == "appointment":
            path = f"/appointments/{context.appointment_uuid}" if context.appointment_uuid else "/"
        elif context.reminder.kind == bone_nudges.KIND:
            path = reminder_path(context.reminder)
        elif context.reminder.kind in FOLLOW_UP_KINDS:
            path = "/reminders"
        else:
            path = "/checkin"
        remaining = max(60, int((due + context.grace - self.now).total_seconds()))
        off_path = None
        if channel == "email":
            off = off_token(self.secret_key, context.reminder.id, context.user_id)
            off_path = f"/reminders/off/{off}"
        return Outgoing(
            delivery_id=delivery_id,
            channel=channel,
            title=context.title,
            path=path,
            base_url=self.base_url,
            name=context.name,
            email=context.email,
            details=list(context.details),
            actions=actions if channel == "push" else [],
            off_path=off_path,
            tag=f"reminder-{context.reminder.id}",
            ttl=remaining,
            targets=context.targets if channel == "push" else [],
        )

    def deliver(self, messages: list[Outgoing], claimed_at: datetime) -> None:
        """Sends a chunk, WORKERS at a time, recording each outcome as it comes.

        A new message starts only when fewer than WORKERS are answered-but-uncommitted, so a
        crash doubles at most WORKERS. Messages not started before the chunk's lease would end
        are released for the next tick rather than sent late under an expired claim.
        """
        lease_seconds = self.lease.total_seconds()
        deadline = clock.monotonic() + lease_seconds - self.lease_margin
        deadline -= (self.moment() - claimed_at).total_seconds()
        queue, left = deque(messages), []
        pending: dict[Future, Outgoing] = {}
        used = {m.channel for m in messages}
        try:
            while queue or pending:
                while queue and len(pending) < self.workers:
                    message = queue.popleft()
                    sender = self.senders.get(message.channel)
                    if clock.monotonic() > deadline:
                        left.append(message)
                    elif sender is None:
                        outcome = Outcome("retry", f"no {message.channel} sender configured")
                        self.record([(message, outcome)])
                    else:
                        pending[self.pool.submit(_send_one, sender, message)] = message
                if not pending:
                    continue
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                self.record([(pending.pop(future), future.result()) for future in done])
        finally:
            for channel in used:
                sender = self.senders.get(channel)
                if sender is not None:
                    sender.close()
        if left:
            self.release([m.delivery_id for m in left])

    def record(self, records: list[tuple[Outgoing, Outcome]]) -> None:
        """Stores outcomes and commits; a row another process has taken over since is left to
        it (compare-and-set on the attempt this process claimed)."""
        if not records:
            return
        params, gone, reached = [], set(), set()
        for message, outcome in records:
            claim = self._claims[message.delivery_id]
            gone.update(outcome.gone)
            reached.update(outcome.reached)
            status, next_attempt = outcome.status, None
            if status == "retry":
                wait_ = min(BACKOFF_FIRST * 2 ** (claim.attempts - 1), BACKOFF_MAX)
                next_attempt = self.now + timedelta(seconds=max(wait_, outcome.retry_after or 0))
                if not claim.no_grace and next_attempt > claim.due_at + claim.grace:
                    status, next_attempt = "failed", None
            self.result.sent += status == "sent"
            self.result.retry += status == "retry"
            self.result.failed += status == "failed"
            params.append(
                {
                    "did": message.delivery_id,
                    "claimed": claim.attempts,
                    "status": status,
                    "sent_at": self.now if status == "sent" else None,
                    "next_attempt_at": next_attempt,
                    "last_error": outcome.error,
                }
            )
        table = ReminderDelivery.__table__
        self.session.connection().execute(
            update(table)
            .where(
                table.c.id == bindparam("did"),
                table.c.status == "sending",
                table.c.attempts == bindparam("claimed"),
            )
            .values(
                status=bindparam("status"),
                sent_at=bindparam("sent_at"),
                next_attempt_at=bindparam("next_attempt_at"),
                last_error=bindparam("last_error"),
            ),
            params,
        )
        if gone:
            self.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        if reached:
            self.session.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(reached))
                .values(last_success_at=self.now)
            )
        self.session.commit()

    def fail(self, failures: list[tuple[int, str]]) -> None:
        """Records messages that could not be built as failed (never retried: the data is bad)."""
        if not failures:
            return
        self.result.failed += len(failures)
        table = ReminderDelivery.__table__
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("did"))
            .values(status="failed", next_attempt_at=None, last_error=bindparam("reason")),
            [{"did": did, "reason": reason} for did, reason in failures],
        )

    def release(self, delivery_ids: list[int]) -> None:
        """Gives back claims this process will not send in time: the next tick takes them."""
        self.session.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id.in_(delivery_ids), ReminderDelivery.status == "sending")
            .values(next_attempt_at=self.now)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()

    def send_retries_chunk(self, limit: int) -> bool:
        """Sends again what failed earlier (after its backoff), was snoozed, or was claimed by
        a process that did not record it before its lease ended (it died, most likely)."""
        with gc_paused():
            self.begin_write()
            waiting = list(
                self.session.scalars(
                    self.locked(
                        select(ReminderDelivery)
                        .where(
                            ReminderDelivery.status.in_(WAITING),
                            ReminderDelivery.next_attempt_at <= self.now,
                        )
                        .order_by(ReminderDelivery.next_attempt_at, ReminderDelivery.id)
                        .limit(limit),
                        of=ReminderDelivery,
                    ).options(
                        joinedload(ReminderDelivery.reminder).joinedload(Reminder.appointment)
                    )
                )
            )
            if not waiting:
                self.session.commit()
                return False
            claimed_at = self.moment()
            claimed = dict(
                self.session.execute(
                    update(ReminderDelivery)
                    .where(
                        ReminderDelivery.id.in_([d.id for d in waiting]),
                        ReminderDelivery.status.in_(WAITING),
                        ReminderDelivery.next_attempt_at <= self.now,
                    )
                    .values(
                        status="sending",
                        claimed_at=claimed_at,
                        next_attempt_at=claimed_at + self.lease,
                        attempts=ReminderDelivery.attempts + 1,
                    )
                    .returning(ReminderDelivery.id, ReminderDelivery.attempts)
                    .execution_options(synchronize_session=False)
                ).all()
            )
            waiting = [d for d in waiting if d.id in claimed]
            reminders = list({d.reminder_id: d.reminder for d in waiting}.values())
            contexts, broken = self.contexts(reminders)
            self._claims = {}
            messages, skipped, failures = [], [], []
            for delivery in waiting:
                context = contexts.get(delivery.reminder_id)
                if context is None:
                    failures.append((delivery.id, broken[delivery.reminder_id]))
                    continue
                snoozed = delivery.status == "snoozed"
                if delivery.status == "sending" and self.now - delivery.due_at > context.grace:
                    failures.append((delivery.id, "interrupted while sending; found too late"))
                    continue
                if not self.still_wanted(context, delivery.occurrence_at):
                    skipped.append(delivery.id)
                    continue
                self._claims[delivery.id] = _Claim(
                    delivery.reminder_id, claimed[delivery.id], delivery.due_at, context.grace,
                    no_grace=snoozed,
                )  # fmt: skip
                try:
                    context.details = self._details(
                        context.reminder, context.zone, delivery.occurrence_at
                    )
                    context.title = reminder_title(
                        context.reminder, context.zone, self.now, delivery.occurrence_at
                    )
                    messages.append(
                        self.message(delivery.id, context, delivery.channel, delivery.due_at)
                    )
                except Exception as error:  # noqa: BLE001 - this patient's message alone
                    failures.append((delivery.id, _reason("could not build the message", error)))
            if skipped:
                self.session.execute(
                    update(ReminderDelivery)
                    .where(ReminderDelivery.id.in_(skipped))
                    .values(status="skipped", next_attempt_at=None)
                    .execution_options(synchronize_session=False)
                )
                self.result.skipped += len(skipped)
            self.fail(failures)
            self.session.commit()
        self.deliver(messages, claimed_at)
        return len(waiting) == limit

    def prune(self, retention: timedelta) -> None:
        """Deletes delivery rows older than `retention` that are settled, a batch at a time."""
        cutoff = self.now - retention
        for _ in range(PRUNE_ROUNDS):
            self.begin_write()
            oldest = (
                select(ReminderDelivery.id)
                .where(
                    ReminderDelivery.created_at < cutoff,
                    ReminderDelivery.status.not_in(WAITING),
                )
                .order_by(ReminderDelivery.created_at)
                .limit(PRUNE_BATCH)
            )
            deleted = cast(
                CursorResult,
                self.session.execute(
                    delete(ReminderDelivery)
                    .where(ReminderDelivery.id.in_(oldest))
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            self.session.commit()
            if deleted < PRUNE_BATCH:
                return


def _reason(what: str, error: Exception) -> str:
    return f"{what}: {type(error).__name__}: {error}"[:300]
