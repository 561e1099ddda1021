"""Small frictions of issue 17 that the test client can check: banner, date format, phones."""

from __future__ import annotations

from datetime import date, datetime

from pwa.templating import phone, when

from .conftest import make_checkin


def test_the_install_banner_is_offered_only_on_home_and_in_the_library(client, signed_in):
    make_checkin(signed_in)
    for path in ("/", "/learn/", "/learn/kyphoplasty"):
        assert 'id="install-banner"' in client.get(path).get_data(as_text=True), path
    for path in ("/checkin", "/history", "/appointments/new", "/profile", "/install", "/report"):
        assert 'id="install-banner"' not in client.get(path).get_data(as_text=True), path


def test_one_date_format_for_days_and_moments(app, signed_in):
    with app.test_request_context():
        assert when(date(2026, 11, 29)) == "Sun 29 Nov 2026"
        # 11:48 UTC is 6:48 am in New York (EST in November).
        assert when(datetime(2026, 11, 29, 11, 48), "America/New_York") == (
            "Sun 29 Nov 2026, 6:48 am"
        )
        assert when(datetime(2026, 7, 5, 19, 5), "America/New_York") == "Sun 5 Jul 2026, 3:05 pm"
        assert when(None) == ""


def test_phone_numbers_break_only_between_their_groups():
    assert str(phone("+1 (555) 010-2030")) == (
        '<span class="nowrap">+1</span> <span class="nowrap">(555)</span> '
        '<span class="nowrap">010-2030</span>'
    )
    assert "&lt;b&gt;" in str(phone("<b>"))


def test_time_zones_are_offered_as_plain_city_names():
    from pwa.timezones import zone_choices, zone_label

    assert zone_label("America/New_York") == "New York (Americas)"
    assert zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires (Argentina, Americas)"
    labels = dict(zone_choices())
    assert labels["Europe/Berlin"] == "Berlin (Europe)" and "Etc/GMT+5" not in labels


def test_settings_show_the_zone_as_a_list_with_the_patients_city_chosen(client, signed_in):
    signed_in.timezone = "Europe/Berlin"
    html = client.get("/account").get_data(as_text=True)
    assert '<select id="timezone" name="timezone"' in html
    assert '<option value="Europe/Berlin" selected>Berlin (Europe)</option>' in html
    assert html.count('value="Europe/Berlin" selected') == 1  # chosen once, not twice
    response = client.post(
        "/account",
        data={"name": "Ann", "timezone": "Asia/Tokyo", "emergency_number": "112",
              "paper_size": "a4"},
    )  # fmt: skip
    assert response.status_code == 302 and signed_in.timezone == "Asia/Tokyo"


def test_a_saved_checkin_says_so_once_not_in_a_flash_and_a_heading(client, signed_in):
    data = {"id": "5b0c3c8e-8a53-4a43-9d59-8a2cdb9d3f01", "date": "", "pain": "4", "worried": "no"}
    data["date"] = signed_in.today().isoformat()
    done = client.post("/checkin", data=data, follow_redirects=True).get_data(as_text=True)
    assert "<h1>Check-in saved</h1>" in done and "flash-success" not in done
    uuid = data["id"]
    changed = client.post(
        f"/checkin/{uuid}/edit", data={**data, "pain": "5"}, follow_redirects=True
    )
    assert "flash-success" not in changed.get_data(as_text=True)


def test_a_medicine_time_in_quiet_hours_is_explained_not_moved_silently(client, signed_in, db):
    from sqlalchemy import select

    from pwa.models import Reminder, ReminderSettings

    client.get("/reminders")  # makes the default settings
    settings = db.session.scalar(select(ReminderSettings))
    settings.quiet_enabled = True
    db.session.commit()
    form = client.get("/reminders/medicines/new").get_data(as_text=True)
    assert "Your quiet hours: 10:00 pm to 7:00 am." in form

    data = {"name": "Calcium", "frequency": "daily", "time_1": "23:00", "time_2": "12:00",
            "start_date": "2031-03-03"}  # fmt: skip
    saved = client.post("/reminders/medicines/new", data=data, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "11:00 pm is in your quiet hours (10:00 pm to 7:00 am)" in page
    assert "12:00 pm is in your quiet hours" not in page
    medicine = db.session.scalar(select(Reminder).where(Reminder.kind == "medicine"))
    edit = client.get(f"/reminders/medicines/{medicine.id}").get_data(as_text=True)
    assert "11:00 pm is in your quiet hours:</strong> this reminder would come at 7:00 am" in edit

    settings.quiet_enabled = False
    db.session.commit()
    assert "quiet hours" not in client.get(f"/reminders/medicines/{medicine.id}").get_data(
        as_text=True
    )


def test_patients_in_the_united_states_see_fahrenheit_first(app):
    from pwa.templating import temperatures
    from pwa.timezones import uses_fahrenheit

    label = "Fever of 38.0 °C (100.4 °F) or more, or chills"
    assert uses_fahrenheit("America/Chicago") and uses_fahrenheit("Pacific/Honolulu")
    assert not uses_fahrenheit("America/Toronto") and not uses_fahrenheit("Europe/Berlin")
    assert temperatures(label, "America/New_York") == (
        "Fever of 100.4 °F (38.0 °C) or more, or chills"
    )
    assert temperatures(label, "America/Toronto") == label


def test_the_checkin_result_says_fahrenheit_first_in_the_united_states(client, signed_in):
    data = {"id": "0b0c3c8e-8a53-4a43-9d59-8a2cdb9d3f02", "pain": "4", "warning_signs": ["fever"]}
    data["worried"] = "yes"  # the screening gate (issue 10)
    data["date"] = signed_in.today().isoformat()
    done = client.post("/checkin", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Fever of 100.4 °F (38.0 °C)" in done  # the patient lives in New York
    history = client.get("/history").get_data(as_text=True)
    assert "Fever of 100.4 °F (38.0 °C)" in history


def test_taken_from_a_reminder_link_is_said_once(client, app, db):
    from pwa.models import Reminder, ReminderDelivery
    from pwa.reminders.services import action_token

    from .conftest import make_patient

    patient = make_patient()
    medicine = Reminder(
        user_id=patient.id, kind="medicine", name="Alendronate", times=["08:00"],
        start_date=date(2031, 3, 3),
    )  # fmt: skip
    db.session.add(medicine)
    db.session.flush()
    moment = datetime(2031, 3, 3, 13, 0)
    delivery = ReminderDelivery(
        reminder_id=medicine.id, occurrence_at=moment, channel="email", status="sent",
        due_at=moment,
    )  # fmt: skip
    db.session.add(delivery)
    db.session.commit()
    token = action_token(app.config["SECRET_KEY"], delivery.id)
    page = client.post(f"/reminders/act/{token}/taken", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert html.count("arked as taken") == 1
    snoozed = client.post(f"/reminders/act/{token}/snooze", follow_redirects=True)
    assert "We will remind you again in one hour." in snoozed.get_data(as_text=True)
