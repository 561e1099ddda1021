"""One tick of the reminder engine: ask the database what is due, record it, then send it.

`send_due(session, now, senders, ...)` is all a scheduler calls. The database decides:

1. Due reminders come from the index on `reminders.next_due_at`, never from walking every
   schedule, so a tick costs in proportion to what is due.
2. Every (reminder, occurrence, channel) is inserted under a unique key with
   INSERT .. ON CONFLICT DO NOTHING .. RETURNING, and the reminder advanced to its next
   occurrence, in one transaction committed BEFORE anything is sent. Only the rows a process
   inserted itself are its to send, so two schedulers never send the same thing, and a restart
   never sends again what was claimed before it (at most once: a process killed mid-send
   leaves the row "sending", which is later marked failed, never re-sent).
3. An occurrence missed while no scheduler ran is sent late while still useful (within its
   kind's grace period), otherwise recorded as missed.
4. A failed send is retried with exponential backoff until its grace period ends. Any error,
   in a channel or in a phase of the tick, is logged and the tick goes on.

On SQLite each claiming transaction starts with BEGIN IMMEDIATE (read and write under one lock,
no stale snapshot between two processes); on PostgreSQL due rows are locked FOR UPDATE SKIP
LOCKED. The unique key is what guarantees "once" on both.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session, joinedload

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
from .schedules import to_local
from .services import (
    APPOINTMENT_KINDS,
    action_token,
    clock_words,
    grace_for,
    next_after,
    off_token,
    reminder_title,
    sync_appointment,
)

log = logging.getLogger(__name__)

BATCH = 1000
MAX_CATCH_UP = 60  # occurrences of one reminder handled per tick after a long outage
STALE_CLAIM = timedelta(minutes=10)
APPOINTMENT_OVERLAP = timedelta(minutes=5)  # re-read recent changes: commits land late
BACKOFF_FIRST = 60
BACKOFF_MAX = 30 * 60
EPOCH = datetime(1970, 1, 1)


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
    batch: int = BATCH,
    time_budget: float = 20.0,
) -> TickResult:
    """One tick. Returns what happened; never raises for a failing channel or phase."""
    result = TickResult()
    started = clock.monotonic()
    tick = _Tick(session, now, senders, secret_key, base_url, result)
    with gc_paused():
        tick.phase("expire stale claims", tick.expire_stale_claims)
        tick.phase("sync appointments", tick.sync_appointments)
        while True:
            more = tick.phase("send due reminders", lambda: tick.send_due_batch(batch))
            if not more or clock.monotonic() - started > time_budget:
                break
        tick.phase("send retries", tick.send_retries)
    return result


class _Tick:
    def __init__(self, session, now, senders, secret_key, base_url, result):
        self.session: Session = session
        self.now: datetime = now
        self.senders = senders
        self.secret_key = secret_key
        self.base_url = base_url
        self.result: TickResult = result
        self.dialect = session.get_bind().dialect.name
        self._contexts_seen: dict[int, _Context] = {}

    # --- plumbing ------------------------------------------------------------------------------

    def phase(self, name: str, work: Callable[[], object]):
        try:
            return work()
        except Exception as error:  # noqa: BLE001 - a failing phase must never stop the loop
            log.exception("reminders: %s failed", name)
            self.session.rollback()
            self.result.errors.append(f"{name}: {type(error).__name__}: {error}"[:300])
            return None

    def begin_write(self) -> None:
        """Starts a transaction that holds the write lock from its first read (SQLite)."""
        self.session.commit()
        if self.dialect == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE"))

    def insert(self, table):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def locked(self, statement):
        if self.dialect == "postgresql":
            return statement.with_for_update(skip_locked=True, of=Reminder)
        return statement

    # --- phases --------------------------------------------------------------------------------

    def expire_stale_claims(self) -> None:
        """A claim left "sending" by a process that died is closed, not re-sent (at most once)."""
        self.session.execute(
            update(ReminderDelivery)
            .where(
                ReminderDelivery.status == "sending",
                ReminderDelivery.claimed_at < self.now - STALE_CLAIM,
            )
            .values(status="failed", last_error="interrupted while sending; not sent again")
        )
        self.session.commit()

    def sync_appointments(self) -> None:
        """Gives appointments changed since the last look (by any code path) their reminders."""
        self.begin_write()
        cursor = self.session.get(ReminderCursor, "appointments")
        since = cursor.position - APPOINTMENT_OVERLAP if cursor else EPOCH
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
        existing = {
            r.appointment_id: r
            for r in self.session.scalars(
                select(Reminder).where(Reminder.appointment_id.in_([a.id for a in changed]))
            )
        }
        for appointment in changed:
            reminder = existing.get(appointment.id)
            if reminder is not None and reminder.source_updated_at == appointment.updated_at:
                continue
            if reminder is None and appointment.starts_at <= self.now:
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
        if cursor is None:
            self.session.add(ReminderCursor(name="appointments", position=position))
        elif position > cursor.position:
            cursor.position = position
        self.session.commit()

    def send_due_batch(self, limit: int) -> bool:
        """Claims and sends up to `limit` due reminders; True when more may be due."""
        self._contexts_seen = {}  # one batch's objects at a time: commits expire what is held
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
        contexts = self.contexts(reminders)
        plans = {r.id: self.plan(r, contexts[r.id]) for r in reminders}
        claimed = self.claim(plans)
        self.advance(reminders, plans)
        messages = [
            self.message(delivery_id, contexts[reminder_id], channel, due)
            for delivery_id, reminder_id, channel, status, due in claimed
            if status == "sending"
        ]
        self.session.commit()  # claimed and advanced: from here on, never sent twice
        self.deliver(messages, contexts)
        return len(reminders) == limit

    def contexts(self, reminders: list[Reminder]) -> dict[int, _Context]:
        """Everything sending needs, read in a few queries for the whole batch."""
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
        doses = self._recorded_doses(reminders)
        contexts = {}
        for reminder in reminders:
            user = users[reminder.user_id]
            setting = settings.get(user.id)
            email_on = setting.email_enabled if setting is not None else True
            channels = (["push"] if targets.get(user.id) else []) + (
                ["email"] if email_on and user.email else []
            )
            grace = grace_for(reminder)
            appointment = reminder.appointment
            if reminder.kind == "appointment" and appointment is not None:
                grace = min(grace, max(timedelta(0), appointment.starts_at - now))
            contexts[reminder.id] = _Context(
                reminder=reminder,
                user_id=user.id,
                zone=zone_of(user.timezone),
                settings=setting,
                channels=channels,
                title=reminder_title(reminder, zone_of(user.timezone), now),
                name=user.name,
                email=user.email,
                details=[],
                targets=targets.get(user.id, []),
                grace=grace,
                appointment_uuid=appointment.uuid if appointment is not None else None,
                checkin_days=checkin_days,
                doses=doses,
            )
        self._contexts_seen.update(contexts)
        return contexts

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
        appointment = reminder.appointment
        return appointment is not None and appointment.cancelled_at is None

    def plan(self, reminder: Reminder, context: _Context) -> _Plan:
        """The occurrences now due, each with its fate, and the next occurrence after them."""
        occurrences = []
        occurrence, due = reminder.next_occurrence_at, reminder.next_due_at
        while occurrence is not None and due <= self.now and len(occurrences) < MAX_CATCH_UP:
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
        return _Plan(occurrences, occurrence, due)

    def _checkin_days(self, reminders, users) -> set:
        checkins = [r for r in reminders if r.kind == "checkin"]
        if not checkins:
            return set()
        days = {to_local(self.now, zone_of(users[r.user_id].timezone)).date() for r in checkins}
        days |= {
            to_local(r.next_occurrence_at, zone_of(users[r.user_id].timezone)).date()
            for r in checkins
            if r.next_occurrence_at
        }
        rows = self.session.execute(
            select(CheckIn.user_id, CheckIn.date)
            .where(CheckIn.user_id.in_({r.user_id for r in checkins}), CheckIn.date.in_(days))
            .distinct()
        )
        return {(user_id, day) for user_id, day in rows}

    def _recorded_doses(self, reminders) -> set:
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

    def _details(self, reminder: Reminder, zone, occurrence: datetime) -> list[str]:
        """Lines for the e-mail (never the push payload)."""
        if reminder.kind == "checkin":
            return ["It takes about one minute. Your answers help your doctor see how you are."]
        if reminder.kind == "medicine":
            at = clock_words(to_local(occurrence, zone).time())
            what = f"{reminder.name}: {reminder.dose}" if reminder.dose else reminder.name
            return [what, f"Scheduled for {at}."]
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

    def claim(self, plans: dict[int, _Plan]) -> list[tuple]:
        """Inserts every planned row; returns only those this process inserted."""
        rows = []
        for reminder_id, plan in plans.items():
            channels = self._channels_of(reminder_id)
            for occurrence, due, fate in plan.occurrences:
                self.result.missed += fate == "missed"
                self.result.skipped += fate == "skipped"
                for channel in channels:
                    rows.append(
                        {
                            "reminder_id": reminder_id,
                            "occurrence_at": occurrence,
                            "channel": channel,
                            "status": fate,
                            "due_at": due,
                            "claimed_at": self.now if fate == "sending" else None,
                            "attempts": 0,
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

    def _channels_of(self, reminder_id: int) -> list[str]:
        return self._contexts_seen[reminder_id].channels

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
            details=context.details,
            actions=actions if channel == "push" else [],
            off_path=off_path,
            tag=f"reminder-{context.reminder.id}",
            ttl=remaining,
            targets=context.targets if channel == "push" else [],
        )

    def deliver(
        self, messages: list[Outgoing], contexts, no_grace: frozenset[int] = frozenset()
    ) -> None:
        """Sends, then records each outcome; a sender that raises fails only its own batch."""
        by_channel: dict[str, list[Outgoing]] = defaultdict(list)
        for message in messages:
            by_channel[message.channel].append(message)
        records: list[tuple[Outgoing, Outcome]] = []
        for channel, batch in by_channel.items():
            sender = self.senders.get(channel)
            if sender is None:
                outcomes = [Outcome("retry", f"no {channel} sender configured") for _ in batch]
            else:
                try:
                    outcomes = sender.send_many(batch)
                except Exception as error:  # noqa: BLE001 - a channel's failure is retried
                    log.exception("reminders: %s sender failed", channel)
                    reason = f"{type(error).__name__}: {error}"[:300]
                    outcomes = [Outcome("retry", reason) for _ in batch]
            records.extend(zip(batch, outcomes, strict=True))
        self.record(records, no_grace)

    def record(self, records: list[tuple[Outgoing, Outcome]], no_grace: frozenset[int]) -> None:
        if not records:
            return
        rows = self.session.execute(
            select(
                ReminderDelivery.id,
                ReminderDelivery.attempts,
                ReminderDelivery.due_at,
                ReminderDelivery.reminder_id,
            ).where(  # fmt: skip
                ReminderDelivery.id.in_([message.delivery_id for message, _ in records])
            )
        )
        known = {row.id: row for row in rows}
        params, gone, reached = [], set(), set()
        for message, outcome in records:
            row = known[message.delivery_id]
            attempts = row.attempts + 1
            gone.update(outcome.gone)
            reached.update(outcome.reached)
            status, next_attempt = outcome.status, None
            if status == "retry":
                wait = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
                next_attempt = self.now + timedelta(seconds=max(wait, outcome.retry_after or 0))
                grace = self._contexts_seen[row.reminder_id].grace
                if row.id not in no_grace and next_attempt > row.due_at + grace:
                    status, next_attempt = "failed", None
            self.result.sent += status == "sent"
            self.result.retry += status == "retry"
            self.result.failed += status == "failed"
            params.append(
                {
                    "did": message.delivery_id,
                    "status": status,
                    "attempts": attempts,
                    "sent_at": self.now if status == "sent" else None,
                    "next_attempt_at": next_attempt,
                    "last_error": outcome.error,
                }
            )
        table = ReminderDelivery.__table__
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("did"))
            .values(
                status=bindparam("status"),
                attempts=bindparam("attempts"),
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

    def send_retries(self) -> None:
        """Sends again what failed earlier (after its backoff) or was snoozed."""
        self._contexts_seen = {}
        self.begin_write()
        waiting = list(
            self.session.scalars(
                select(ReminderDelivery)
                .where(
                    ReminderDelivery.status.in_(("retry", "snoozed")),
                    ReminderDelivery.next_attempt_at <= self.now,
                )
                .order_by(ReminderDelivery.next_attempt_at)
                .limit(BATCH)
                .options(joinedload(ReminderDelivery.reminder).joinedload(Reminder.appointment))
            )
        )
        if not waiting:
            self.session.commit()
            return
        snoozed = frozenset(d.id for d in waiting if d.status == "snoozed")
        claimed = set(
            self.session.scalars(
                update(ReminderDelivery)
                .where(
                    ReminderDelivery.id.in_([d.id for d in waiting]),
                    ReminderDelivery.status.in_(("retry", "snoozed")),
                )
                .values(status="sending", claimed_at=self.now)
                .returning(ReminderDelivery.id)
                .execution_options(synchronize_session=False)
            )
        )
        waiting = [d for d in waiting if d.id in claimed]
        contexts = self.contexts(list({d.reminder_id: d.reminder for d in waiting}.values()))
        messages, skipped = [], []
        for delivery in waiting:
            context = contexts[delivery.reminder_id]
            if not self.still_wanted(context, delivery.occurrence_at):
                skipped.append(delivery.id)
                continue
            context.details = self._details(context.reminder, context.zone, delivery.occurrence_at)
            messages.append(self.message(delivery.id, context, delivery.channel, delivery.due_at))
        if skipped:
            self.session.execute(
                update(ReminderDelivery)
                .where(ReminderDelivery.id.in_(skipped))
                .values(status="skipped")
                .execution_options(synchronize_session=False)
            )
            self.result.skipped += len(skipped)
        self.session.commit()
        self.deliver(messages, contexts, no_grace=snoozed)
