"""The reminder pages: settings with sensible defaults, medicines, the home screen's due and
missed reminders, and the JSON endpoints the push script uses."""

from __future__ import annotations

from datetime import date, time, timedelta
from html.parser import HTMLParser
from unittest.mock import patch

import pytest
from sqlalchemy import select

from pwa.extensions import db as _db
from pwa.models import MedicineDose, PushSubscription, Reminder, ReminderSettings, utcnow
from pwa.reminders.schedules import wall_to_utc

from .conftest import make_checkin, make_patient
from .test_reminders_engine import reminders_of, settings_of
from .test_reminders_support import Subscriber

SETTINGS_FORM = {
    "checkin_enabled": "y",
    "checkin_time": "20:30",
    "appointment_day_before": "y",
    "appointment_day_before_time": "17:00",
    "appointment_hours_before_on": "y",
    "appointment_hours_before": "3",
    "email_enabled": "y",
    "quiet_start": "22:00",
    "quiet_end": "07:00",
}
MEDICINE_FORM = {
    "name": "Alendronate",
    "dose": "one 70 mg tablet",
    "frequency": "weekly",
    "time_1": "08:00",
    "weekdays": ["0"],
    "start_date": "2031-03-03",
}


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels = {}, set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and "name" in attrs:
            self.inputs[attrs["name"]] = attrs
        if tag == "label" and "for" in attrs:
            self.labels.add(attrs["for"])


def inputs_of(page: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(page)
    return parser


def test_the_reminders_page_shows_the_defaults_of_a_new_patient(client, signed_in):
    page = client.get("/reminders").get_data(as_text=True)
    form = inputs_of(page)
    for name in ("checkin_enabled", "appointment_day_before", "appointment_hours_before_on",
                 "email_enabled"):  # fmt: skip
        assert "checked" in form.inputs[name], name
    assert "checked" not in form.inputs["quiet_enabled"]
    assert form.inputs["checkin_time"] == {**form.inputs["checkin_time"], "type": "time",
                                           "value": "19:00"}  # fmt: skip
    assert form.inputs["appointment_day_before_time"]["value"] == "18:00"
    assert form.inputs["appointment_hours_before"]["value"] == "2"
    assert set(SETTINGS_FORM) | {"quiet_enabled"} <= form.labels  # a label on every input
    assert "If you are worried, call your doctor. Do not wait for the app." in page


def test_an_account_older_than_reminders_gets_its_defaults_when_it_opens_the_page(
    client, signed_in
):
    for row in reminders_of(signed_in):
        _db.session.delete(row)
    _db.session.delete(settings_of(signed_in))
    _db.session.commit()
    assert client.get("/reminders").status_code == 200
    assert settings_of(signed_in) is not None
    assert [r.times for r in reminders_of(signed_in, "checkin")] == [["19:00"]]


def test_saving_the_settings_moves_the_checkin_reminder_to_the_new_time(client, signed_in):
    response = client.post("/reminders", data=SETTINGS_FORM)
    assert response.status_code == 302
    (checkin,) = reminders_of(signed_in, "checkin")
    assert checkin.times == ["20:30"]
    wall = signed_in.local_now(checkin.next_occurrence_at)
    assert wall.time().replace(tzinfo=None) == time(20, 30)
    settings = settings_of(signed_in)
    assert settings.appointment_hours_before == 3
    assert settings.appointment_day_before_time == time(17, 0)
    assert not settings.quiet_enabled


def test_turning_the_checkin_reminder_off_stops_it(client, signed_in):
    form = {**SETTINGS_FORM}
    del form["checkin_enabled"]
    client.post("/reminders", data=form)
    (checkin,) = reminders_of(signed_in, "checkin")
    assert not checkin.enabled and checkin.next_due_at is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"checkin_time": "25:00"}, "checkin_time", "Please enter a time like 19:00 or 7:00 pm."),
        ({"checkin_time": ""}, "checkin_time", "Please enter the time of the reminder."),
        ({"appointment_hours_before": "lots"}, "appointment_hours_before", "from 1 to 48"),
        ({"quiet_enabled": "y", "quiet_end": "22:00"}, "quiet_end", "end at a different time"),
    ],
)
def test_bad_settings_get_a_message_next_to_the_field_and_keep_the_rest(
    client, signed_in, change, field, message
):
    response = client.post("/reminders", data={**SETTINGS_FORM, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page and message in page
    assert 'value="17:00"' in page  # everything else kept
    assert reminders_of(signed_in, "checkin")[0].times == ["19:00"]  # nothing saved


def test_a_time_typed_by_hand_is_understood(client, signed_in):
    client.post("/reminders", data={**SETTINGS_FORM, "checkin_time": "7:15 pm"})
    assert reminders_of(signed_in, "checkin")[0].times == ["19:15"]


def test_adding_a_weekly_medicine_reminder(client, signed_in):
    response = client.post("/reminders/medicines/new", data=MEDICINE_FORM)
    assert response.status_code == 302
    (medicine,) = reminders_of(signed_in, "medicine")
    assert (medicine.name, medicine.dose, medicine.frequency) == (
        "Alendronate", "one 70 mg tablet", "weekly"
    )  # fmt: skip
    assert medicine.weekdays == [0] and medicine.times == ["08:00"]
    wall = signed_in.local_now(medicine.next_occurrence_at)
    assert wall.weekday() == 0 and wall.time().replace(tzinfo=None) == time(8, 0)
    page = client.get("/reminders").get_data(as_text=True)
    assert "Every Monday at 8:00 am" in page


def test_an_injection_every_six_months_with_two_times_and_an_end_date(client, signed_in):
    form = {**MEDICINE_FORM, "name": "Denosumab", "frequency": "every_n_months",
            "interval_months": "6", "time_2": "18:00", "end_date": "2035-01-01"}  # fmt: skip
    assert client.post("/reminders/medicines/new", data=form).status_code == 302
    (medicine,) = reminders_of(signed_in, "medicine")
    assert medicine.interval_months == 6 and medicine.times == ["08:00", "18:00"]
    assert medicine.weekdays == [] and medicine.end_date == date(2035, 1, 1)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Please enter the name of the medicine."),
        ({"time_1": ""}, "time_1", "Please enter at least one time"),
        ({"weekdays": []}, "weekdays", "Please tick at least one day."),
        ({"frequency": "every_n_months"}, "interval_months", "every how many months"),
        ({"end_date": "2031-01-01"}, "end_date", "before the first day"),
        ({"time_2": "noonish"}, "time_2", "Please enter a time like"),
    ],
)
def test_a_medicine_form_with_a_mistake_says_what_and_where(
    client, signed_in, change, field, message
):
    response = client.post("/reminders/medicines/new", data={**MEDICINE_FORM, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="{field}-error"' in page and message in page
    assert reminders_of(signed_in, "medicine") == []


def test_changing_and_removing_a_medicine_keeps_its_recorded_doses(client, signed_in):
    client.post("/reminders/medicines/new", data={**MEDICINE_FORM, "frequency": "daily"})
    (medicine,) = reminders_of(signed_in, "medicine")
    form = client.get(f"/reminders/medicines/{medicine.id}").get_data(as_text=True)
    assert 'value="Alendronate"' in form
    client.post(f"/reminders/medicines/{medicine.id}", data={**MEDICINE_FORM, "time_1": "09:30"})
    _db.session.expire_all()
    assert medicine.times == ["09:30"]
    _db.session.add(MedicineDose(user_id=signed_in.id, reminder_id=medicine.id,
                                 occurrence_at=utcnow(), status="taken", source="app"))  # fmt: skip
    _db.session.commit()
    assert "Remove the reminder for Alendronate?" in client.get(
        f"/reminders/medicines/{medicine.id}/remove"
    ).get_data(as_text=True)
    client.post(f"/reminders/medicines/{medicine.id}/remove")
    _db.session.expire_all()
    assert medicine.deleted_at is not None and medicine.next_due_at is None
    assert _db.session.scalar(select(MedicineDose.status)) == "taken"
    assert client.get(f"/reminders/medicines/{medicine.id}").status_code == 404


# --- The home screen ---------------------------------------------------------------------------


def test_home_shows_a_due_medicine_with_taken_and_a_missed_one_and_taken_is_recorded(
    client, signed_in
):
    now = utcnow()
    local = signed_in.local_now(now)
    due_at = (local - timedelta(minutes=30)).time().replace(second=0, microsecond=0, tzinfo=None)
    missed_at = (local - timedelta(hours=5)).time().replace(second=0, microsecond=0, tzinfo=None)
    for name, at, made in (("Calcium", due_at, 1), ("Vitamin D", missed_at, 6)):
        form = {**MEDICINE_FORM, "name": name, "frequency": "daily",
                "time_1": at.strftime("%H:%M"), "start_date": "2020-01-01"}  # fmt: skip
        client.post("/reminders/medicines/new", data=form)
        # Made `made` hours ago: exactly one dose of each falls between then and now.
        _db.session.execute(
            Reminder.__table__.update()
            .where(Reminder.name == name)
            .values(created_at=now - timedelta(hours=made))
        )
    _db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Calcium" in page and "Vitamin D" in page and "Missed" in page
    calcium = next(r for r in reminders_of(signed_in, "medicine") if r.name == "Calcium")
    occurrence = wall_to_utc(local.date(), due_at, signed_in.zone)
    if occurrence > now:  # just after midnight: the due dose was yesterday's
        occurrence = wall_to_utc(local.date() - timedelta(days=1), due_at, signed_in.zone)
    response = client.post(
        f"/reminders/medicines/{calcium.id}/dose",
        data={"occurrence": occurrence.isoformat(), "status": "taken"},
    )
    assert response.status_code == 302
    (dose,) = _db.session.scalars(select(MedicineDose)).all()
    assert (dose.reminder_id, dose.status, dose.source) == (calcium.id, "taken", "app")
    page = client.get("/").get_data(as_text=True)
    assert "Calcium" not in page.split("Reminders</h2>")[1].split("</section>")[0]


def test_a_dose_for_a_time_that_is_not_scheduled_is_refused(client, signed_in):
    client.post("/reminders/medicines/new", data={**MEDICINE_FORM, "frequency": "daily"})
    (medicine,) = reminders_of(signed_in, "medicine")
    client.post(f"/reminders/medicines/{medicine.id}/dose",
                data={"occurrence": "2031-03-04T13:17:00", "status": "taken"})  # fmt: skip
    assert _db.session.scalars(select(MedicineDose)).all() == []


def test_home_reminds_of_the_checkin_after_its_time_until_it_is_done(client, signed_in):
    client.post("/reminders", data={**SETTINGS_FORM, "checkin_time": "00:00"})
    page = client.get("/").get_data(as_text=True)
    assert "Time for your daily check-in" in page
    make_checkin(signed_in)
    assert "Time for your daily check-in" not in client.get("/").get_data(as_text=True)


def test_a_patient_with_no_account_data_of_reminders_sees_a_plain_home(client, signed_in):
    with patch("pwa.main.services.home_items", return_value=[]):
        page = client.get("/").get_data(as_text=True)
    assert "home-reminders" not in page


# --- Push subscription endpoints -------------------------------------------------------------


def test_subscribing_stores_the_browsers_keys_once_and_unsubscribing_deletes_them(
    client, signed_in
):
    subscription = Subscriber("x").subscription("https://fcm.googleapis.com/fcm/send")
    assert client.post("/reminders/push/subscribe", json=subscription).status_code == 201
    assert client.post("/reminders/push/subscribe", json=subscription).status_code == 201
    (stored,) = _db.session.scalars(select(PushSubscription)).all()
    assert stored.user_id == signed_in.id and stored.p256dh == subscription["keys"]["p256dh"]
    response = client.post("/reminders/push/unsubscribe", json={"endpoint": stored.endpoint})
    assert response.json == {"status": "unsubscribed"}
    assert _db.session.scalars(select(PushSubscription)).all() == []


@pytest.mark.parametrize(
    "endpoint",
    ["http://push.example/x", "https://127.0.0.1/x", "https://localhost/x", "not a url"],
)
def test_a_subscription_to_anything_but_a_push_service_is_refused(client, signed_in, endpoint):
    subscription = {**Subscriber("x").subscription("https://push.example"), "endpoint": endpoint}
    response = client.post("/reminders/push/subscribe", json=subscription)
    assert response.status_code == 422 and response.json["error"] == "invalid_subscription"


def test_a_subscription_with_broken_keys_is_refused_in_json(client, signed_in):
    subscription = Subscriber("x").subscription("https://push.example")
    subscription["keys"]["auth"] = "short"
    response = client.post("/reminders/push/subscribe", json=subscription)
    assert response.status_code == 422 and "keys.auth" in response.json["message"]


def test_push_endpoints_answer_401_json_when_signed_out(client, app, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid.pem")
    assert client.get("/reminders/push/key").status_code == 401
    response = client.post("/reminders/push/subscribe", json={})
    assert response.status_code == 401 and response.json["error"] == "not_signed_in"


def test_the_push_key_is_the_apps_vapid_public_key(client, signed_in, app, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid.pem")
    key = client.get("/reminders/push/key").json["publicKey"]
    assert len(key) == 87 and (tmp_path / "vapid.pem").exists()


def test_reminder_settings_of_another_patient_are_never_touched(client, signed_in):
    other = make_patient()
    client.post("/reminders", data={**SETTINGS_FORM, "checkin_time": "06:00"})
    assert reminders_of(other, "checkin")[0].times == ["19:00"]
    assert (
        _db.session.scalar(
            select(ReminderSettings.appointment_hours_before).where(
                ReminderSettings.user_id == other.id
            )
        )
        == 2
    )
