"""Migration 0008 repairs warning signs saved before they carried their diary day."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from pwa import create_app
from pwa.extensions import db

from .conftest import config_for

pytestmark = pytest.mark.database


def test_existing_signs_move_to_their_checkins_day_and_orphans_are_repaired(tmp_path):
    app = create_app(config_for(tmp_path))
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, name, timezone, emergency_number,"
                    " paper_size, created_at) VALUES (1, 'a@example.com', 'x', 'A',"
                    " 'America/New_York', '911', 'letter', '2026-11-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO checkins (id, uuid, user_id, date, created_at, updated_at,"
                    " pain_avg, locations) VALUES (1, 'u1', 1, '2026-11-26', '2026-11-29 15:00:00',"
                    " '2026-11-29 15:00:00', 4, '[]')"
                )
            )
            for row, checkin, action, at in (
                (1, 1, None, "2026-11-29 15:00:00"),  # entered on the 29th for the 26th
                (2, None, None, "2026-11-20 15:00:00"),  # its check-in was deleted
                (3, None, "called_doctor", "2026-11-21 03:00:00"),  # deleted, acted on
            ):
                conn.execute(
                    text(
                        "INSERT INTO warning_events (id, user_id, checkin_id, sign, tier,"
                        " computed, occurred_at, action) VALUES (:id, 1, :checkin, 'fever',"
                        " 'urgent', :no, :at, :action)"
                    ),
                    {"id": row, "checkin": checkin, "at": at, "action": action, "no": False},
                )
            conn.execute(text(
                "INSERT INTO reminders (id, user_id, kind, enabled, frequency, times, weekdays,"
                " created_at, updated_at) VALUES (1, 1, 'medicine', :yes, 'daily', '[\"08:00\"]',"
                " '[]', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
            ), {"yes": True})  # fmt: skip

        upgrade()

        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, day, entry_deleted_at IS NOT NULL FROM warning_events ORDER BY id")
            ).all()
            medicine = conn.execute(text("SELECT uuid, version FROM reminders")).one()
        db.engine.dispose()
    assert [(r[0], str(r[1]), bool(r[2])) for r in rows] == [
        (1, "2026-11-26", False),
        (3, "2026-11-20", True),  # 03:00 UTC on the 21st is the 20th in New York
    ]
    assert len(medicine[0]) == 36 and medicine[1] == 1
