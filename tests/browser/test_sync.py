"""The offline outbox in real Chromium: check-ins made offline reach the server exactly once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func

from pwa.extensions import db
from pwa.models import Appointment, CheckIn, MedicineDose, Reminder, User, utcnow

from .conftest import sign_in
from .test_offline import until, wait_for_worker

pytestmark = pytest.mark.browser

WAITING = "Saved on this phone, will be sent when you are online ({n} waiting)"


def rows(live_server, patient_id: int) -> int:
    with live_server.app.app_context():
        query = db.select(func.count()).select_from(CheckIn).where(CheckIn.user_id == patient_id)
        return db.session.scalar(query)


def waiting(page) -> int:
    return page.evaluate("UprightSync.status().then(s => s.waiting)")


def save_offline_checkin(page, url: str, pain: int) -> None:
    """Fill in the check-in the worker shows offline, and save it."""
    page.goto(url + "/checkin")
    # dispatch_event: the status line appearing at the top may shift the buttons mid-click.
    page.locator(f"input[name=pain][value='{pain}']").dispatch_event("click")
    page.locator("input[name=worried][value=no]").dispatch_event("click")  # the screening gate
    page.click("form[data-offline-form] button[type=submit]")
    page.wait_for_url("**/offline/saved")


def without_background_sync(target) -> None:
    """Leaves sending to the pages, so a test can intercept every request (page.route does not
    see the worker's own fetches)."""
    target.add_init_script(
        "Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', { get() {} });"
    )


def answering(answer: dict):
    """A route handler that answers with `answer` (one argument: Playwright passes the request
    too to handlers that take two)."""
    return lambda route: route.fulfill(**answer)


def go_offline_with_worker(page, context, url: str) -> None:
    page.goto(url + "/")
    wait_for_worker(page)
    context.set_offline(True)


def test_a_twenty_checkins_made_offline_become_exactly_twenty_rows(
    patient_page, live_server, context
):
    page = patient_page
    go_offline_with_worker(page, context, live_server.url)
    for n in range(20):
        save_offline_checkin(page, live_server.url, pain=n % 11)
    expect(page.locator("[data-outbox-message]")).to_have_text(WAITING.format(n=20))
    expect(page.locator("#app-status")).to_contain_text(WAITING.format(n=20))
    assert rows(live_server, page.patient.id) == 0

    context.set_offline(False)  # the page hears `online` and sends
    expect(page.locator("#app-status")).to_contain_text("Sent: 20 saved entries", timeout=15_000)
    assert waiting(page) == 0
    assert rows(live_server, page.patient.id) == 20
    page.reload()  # sending again on the next page load sends nothing twice
    page.evaluate("UprightSync.flush()")
    assert rows(live_server, page.patient.id) == 20
    with live_server.app.app_context():
        pains = db.session.scalars(
            db.select(CheckIn.pain_avg).where(CheckIn.user_id == page.patient.id)
        ).all()
    assert sorted(pains) == sorted(n % 11 for n in range(20))


def test_b_answer_lost_after_the_server_committed_still_gives_one_row(patient_page, live_server):
    page = patient_page
    without_background_sync(page)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    posts = []

    def commit_then_cut(route):
        posts.append(route.request.headers.get("x-csrftoken"))
        if len(posts) == 1:
            response = route.fetch()  # the server saves it and answers...
            assert response.status == 200 and response.json()["results"][0]["status"] == 201
            route.abort("connectionreset")  # ...but the answer never reaches the phone
        else:
            route.continue_()

    page.route("**/api/v1/sync", commit_then_cut)
    page.evaluate("UprightSync.enqueue('entries', { date: '2026-11-20', pain: 6 })")
    result = page.evaluate("UprightSync.flush()")
    assert result["state"] == "offline" and result["waiting"] == 1  # kept: no answer seen
    assert rows(live_server, page.patient.id) == 1

    result = page.evaluate("UprightSync.flush()")  # the retry: same UUID, 200, no new row
    assert result["sent"] == 1 and result["waiting"] == 0
    assert len(posts) == 2 and all(posts)  # each send carried a CSRF token
    assert rows(live_server, page.patient.id) == 1


def test_c_session_expired_while_offline_loses_nothing_after_signing_in_again(
    patient_page, live_server, context
):
    page = patient_page
    go_offline_with_worker(page, context, live_server.url)
    for pain in (3, 4, 5):
        save_offline_checkin(page, live_server.url, pain)
    context.clear_cookies()  # the session ends while the phone is offline
    context.set_offline(False)

    page.goto(live_server.url + "/learn/")
    status = page.locator("#app-status")
    expect(status).to_contain_text(WAITING.format(n=3))
    expect(status).to_contain_text("Please sign in so they can be sent")
    assert waiting(page) == 3 and rows(live_server, page.patient.id) == 0

    status.get_by_role("link", name="Sign in").click()
    page.fill("input[name=email]", page.patient.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    expect(page.locator("#app-status")).to_contain_text("Sent: 3 saved entries")
    assert rows(live_server, page.patient.id) == 3 and waiting(page) == 0


def test_d_one_outbox_sent_from_two_tabs_at_once_gives_no_doubles(
    patient_page, live_server, context
):
    first = patient_page
    without_background_sync(context)
    go_offline_with_worker(first, context, live_server.url)
    for pain in range(10):
        save_offline_checkin(first, live_server.url, pain)
    second = context.new_page()
    second.goto(live_server.url + "/learn/")  # from the cache, offline
    assert waiting(second) == 10

    # Both tabs hear `online` at the same moment; and one of them even without Web Locks,
    # so the server's idempotency is what is tested, not only the lock.
    second.evaluate("Object.defineProperty(navigator, 'locks', { value: undefined })")
    context.set_offline(False)
    first.evaluate("window.__a = UprightSync.flush({ reason: 'tab one' })")
    second.evaluate("window.__b = UprightSync.flush({ reason: 'tab two' })")
    first.evaluate("window.__a")
    second.evaluate("window.__b")
    until(first, "UprightSync.status().then(s => s.waiting === 0)")
    assert rows(live_server, first.patient.id) == 10


def test_entries_stay_on_server_errors_refusals_and_sign_in_pages(patient_page, live_server):
    page = patient_page
    without_background_sync(page)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.route("**/api/v1/sync", lambda route: route.abort("internetdisconnected"))
    page.evaluate("UprightSync.enqueue('entries', { date: '2026-11-20', pain: 2 })")
    result = page.evaluate("UprightSync.flush()")
    assert result["state"] == "offline" and result["waiting"] == 1
    page.unroute("**/api/v1/sync")

    sign_in_page = '<!doctype html><title>Sign in</title><form><input name="email"></form>'
    answers = [
        {"status": 500, "json": {"error": "server_error"}},
        {"status": 503, "body": "Service Unavailable"},
        {"status": 401, "json": {"error": "not_signed_in"}},
        {"status": 403, "json": {"error": "forbidden"}},
        {"status": 200, "body": sign_in_page, "content_type": "text/html"},
    ]
    for answer in answers:
        page.route("**/api/v1/sync", answering(answer))
        result = page.evaluate("UprightSync.flush()")
        assert result["sent"] == 0 and result["waiting"] == 1, answer
        page.unroute("**/api/v1/sync")

    # A sign-in page reached through a redirect is not success either.
    page.route(
        "**/api/v1/sync",
        lambda route: route.fulfill(status=302, headers={"Location": "/login"}),
    )
    result = page.evaluate("UprightSync.flush()")
    assert result["sent"] == 0 and result["waiting"] == 1
    assert result["state"] == "signed-out"
    page.unroute("**/api/v1/sync")
    assert rows(live_server, page.patient.id) == 0

    result = page.evaluate("UprightSync.flush()")
    assert result["sent"] == 1 and rows(live_server, page.patient.id) == 1


def test_an_entry_the_server_rejects_is_kept_aside_and_shown(patient_page, live_server, context):
    page = patient_page
    without_background_sync(page)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.evaluate(
        "UprightSync.enqueue('entries', { date: '2999-01-01', pain: 4 })"
    )  # a date in the future: 422
    result = page.evaluate("UprightSync.flush()")
    assert result["waiting"] == 0 and len(result["problems"]) == 1
    page.goto(live_server.url + "/offline/saved")
    problems = page.locator("#outbox-problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("Check-in of 2999-01-01")
    problems.get_by_role("button", name="Remove it from this phone").click()
    expect(problems).to_be_hidden()
    assert page.evaluate("UprightSync.status().then(s => s.problems.length)") == 0


def test_a_form_sent_on_a_dropping_connection_is_kept_by_the_worker(
    patient_page, live_server, context
):
    page = patient_page
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    page.goto(live_server.url + "/checkin")  # the real form, from the server
    page.locator("input[name=pain][value='7']").dispatch_event("click")
    # The phone believes it is online, but the connection is gone (a lift, a basement).
    page.evaluate("Object.defineProperty(navigator, 'onLine', { get: () => true })")
    context.set_offline(True)
    page.click("form[data-offline-form] button[type=submit]")
    page.wait_for_url("**/offline/saved")
    expect(page.locator("[data-outbox-message]")).to_have_text(WAITING.format(n=1))

    context.set_offline(False)  # sent by the page on `online`, or by Background Sync
    page.goto(live_server.url + "/")
    until(page, "UprightSync.status().then(s => s.waiting === 0)")
    assert rows(live_server, page.patient.id) == 1


def test_background_sync_sends_the_outbox_with_no_page_open(patient_page, live_server, context):
    page = patient_page
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    go_offline_with_worker(page, context, live_server.url)
    save_offline_checkin(page, live_server.url, pain=3)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.sync.getTags())") == [
        "upright-outbox"
    ]
    page.goto("about:blank")  # the app is closed
    # Playwright's request routing stalls a worker's fetches once no page is open, so the
    # loopback guard is lifted here; the worker only ever fetches its own origin (sw.js).
    context.unroute_all()
    context.set_offline(False)
    # What the browser does when the connection returns (DevTools' "Sync" button does the same).
    registration = next(r for r in registrations if not r["isDeleted"])
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "tag": "upright-outbox",
            "lastChance": False,
        },
    )
    deadline = time.monotonic() + 10
    while rows(live_server, page.patient.id) == 0:
        assert time.monotonic() < deadline, "Background Sync did not send the outbox"
        time.sleep(0.1)
    assert rows(live_server, page.patient.id) == 1


def test_entries_are_only_ever_sent_into_the_account_that_made_them(
    patient_page, live_server, context
):
    page = patient_page
    go_offline_with_worker(page, context, live_server.url)
    save_offline_checkin(page, live_server.url, pain=5)
    context.set_offline(False)
    context.clear_cookies()

    other = live_server.create_patient()
    sign_in(page, live_server.url, other.email)
    page.evaluate("UprightSync.flush()")
    assert rows(live_server, other.id) == 0
    assert waiting(page) == 0  # not shown to the other account (issue 14), yet still kept:
    assert page.evaluate("UprightSync.outboxEntries().then(e => e.length)") == 1

    context.clear_cookies()
    sign_in(page, live_server.url, page.patient.email)
    until(page, "UprightSync.status().then(s => s.waiting === 0 && !s.problems.length)")
    assert rows(live_server, page.patient.id) == 1 and rows(live_server, other.id) == 0


def test_next_appointments_are_readable_offline_and_forgotten_at_sign_out(
    patient_page, live_server, context
):
    page = patient_page
    with live_server.app.app_context():
        db.session.add(
            Appointment(
                user_id=page.patient.id,
                starts_at=utcnow() + timedelta(days=3),
                kind="spine",
                with_whom="Dr Alvarez",
                location="Riverside Spine Clinic",
                questions=["When can I drive again?", "Do I still need the brace?"],
            )
        )
        db.session.commit()
    page.goto(live_server.url + "/appointments")
    wait_for_worker(page)
    until(page, "UprightSync.readAppointments().then(a => a.length === 1)")

    context.set_offline(True)
    page.goto(live_server.url + "/appointments")
    copy = page.locator("[data-appointments-copy]")
    expect(copy).to_contain_text("Spine specialist")
    expect(copy).to_contain_text("Dr Alvarez")
    expect(copy).to_contain_text("When can I drive again?")
    expect(copy).to_contain_text("Do I still need the brace?")
    assert not [p for p in page.evaluate("caches.keys()") if "appointments" in p]

    # Offline, a new appointment is kept in the outbox and listed as not sent yet.
    page.goto(live_server.url + "/appointments/new")
    page.fill("input[name=date]", (utcnow() + timedelta(days=30)).date().isoformat())
    page.fill("input[name=time]", "09:30")
    page.locator("input[name=kind][value=bone_density]").dispatch_event("click")
    page.click("form[data-offline-form] button[type=submit]")
    page.wait_for_url("**/offline/saved")
    page.goto(live_server.url + "/appointments")
    expect(copy).to_contain_text("Saved on this phone, not sent yet")

    context.set_offline(False)
    page.goto(live_server.url + "/")
    until(page, "UprightSync.status().then(s => s.waiting === 0 && !s.problems.length)")
    with live_server.app.app_context():
        kinds = db.session.scalars(
            db.select(Appointment.kind).where(Appointment.user_id == page.patient.id)
        ).all()
    assert sorted(kinds) == ["bone_density", "spine"]

    page.goto(live_server.url + "/logout")
    page.click("form[data-logout] button[type=submit]")
    page.wait_for_url("**/login**")
    assert page.evaluate("UprightSync.readAppointments().then(a => a.length)") == 0
    # The library copies stored while signed in are fetched again as a visitor sees them.
    until(
        page, "caches.match('/learn/').then(r => r.text()).then(t => !t.includes('data-account'))"
    )


def test_a_mixed_outbox_goes_in_one_request_and_a_bad_entry_alone_is_set_aside(
    patient_page, live_server
):
    """Issue 18: check-ins, an appointment and a dose, queued offline, leave in one batch; the
    one the server refuses stays on the phone (shown), the rest leave the outbox."""
    page = patient_page
    without_background_sync(page)
    with live_server.app.app_context():
        patient = db.session.get(User, page.patient.id)
        today = patient.today()
        medicine = Reminder(user_id=patient.id, kind="medicine", name="Alendronate",
                            frequency="daily", times=["08:00"],
                            start_date=today - timedelta(days=7))  # fmt: skip
        db.session.add(medicine)
        db.session.commit()
        medicine_id = medicine.uuid
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    batches: list[list[dict]] = []

    def count_batches(route):
        batches.append(route.request.post_data_json["records"])
        route.continue_()

    page.route("**/api/v1/sync", count_batches)
    yesterday = (today - timedelta(days=1)).isoformat()
    page.evaluate(
        """async ([today, yesterday, medicineId]) => {
             await UprightSync.enqueue('entries', { date: yesterday, pain: 3 });
             await UprightSync.enqueue('appointments', { date: '2030-05-06', time: '09:30',
                                                         kind: 'bone_density' });
             await UprightSync.enqueue('entries', { date: '2999-01-01', pain: 4 });
             await UprightSync.enqueue('doses', { medicine_id: medicineId,
                                                  due: `${yesterday}T08:00`, status: 'taken' });
             await UprightSync.enqueue('entries', { date: today, pain: 5 });
           }""",
        [today.isoformat(), yesterday, medicine_id],
    )

    result = page.evaluate("UprightSync.flush()")

    assert len(batches) == 1
    assert [r["kind"] for r in batches[0]] == ["entry", "appointment", "entry", "dose", "entry"]
    assert batches[0][1]["appointment_kind"] == "bone_density"
    assert result["sent"] == 4 and result["waiting"] == 0 and len(result["problems"]) == 1
    with live_server.app.app_context():
        pains = db.session.scalars(
            db.select(CheckIn.pain_avg).where(CheckIn.user_id == page.patient.id)
        ).all()
        assert sorted(pains) == [3, 5]
        stored = db.session.scalar(
            db.select(Appointment).where(Appointment.user_id == page.patient.id)
        )
        assert stored.kind == "bone_density"
        assert db.session.scalar(db.select(func.count()).select_from(MedicineDose)) == 1
    page.goto(live_server.url + "/offline/saved")
    problems = page.locator("#outbox-problems")
    expect(problems).to_contain_text("Check-in of 2999-01-01")

    page.evaluate("UprightSync.flush()")  # nothing is sent again, nothing doubled
    assert len(batches) == 1 and rows(live_server, page.patient.id) == 2


def test_a_long_outbox_goes_in_batches_of_200_oldest_first(patient_page, live_server):
    page = patient_page
    without_background_sync(page)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    sizes: list[int] = []

    def count_batches(route):
        sizes.append(len(route.request.post_data_json["records"]))
        route.continue_()

    page.route("**/api/v1/sync", count_batches)
    page.evaluate(
        """async () => {
             for (let n = 0; n < 250; n += 1) {
               await UprightSync.enqueue('entries', { date: '2026-01-01', pain: n % 11,
                                                      notes: `entry ${n}` });
             }
           }"""
    )
    result = page.evaluate("UprightSync.flush()")
    assert sizes == [200, 50] and result["sent"] == 250 and result["waiting"] == 0
    with live_server.app.app_context():
        notes = db.session.scalars(
            db.select(CheckIn.notes).where(CheckIn.user_id == page.patient.id).order_by(CheckIn.id)
        ).all()
    assert notes == [f"entry {n}" for n in range(250)]  # saved in the order they were made


def test_a_batch_too_large_for_the_server_is_split_and_a_single_entry_set_aside(
    patient_page, live_server
):
    page = patient_page
    without_background_sync(page)
    page.goto(live_server.url + "/")
    wait_for_worker(page)
    sizes: list[int] = []

    def refuse_large(route):
        records = route.request.post_data_json["records"]
        sizes.append(len(records))
        if any(r.get("notes") == "huge" for r in records):  # as the server's 1 MB limit would
            route.fulfill(status=413, json={"error": "request_entity_too_large"})
        else:
            route.continue_()

    page.route("**/api/v1/sync", refuse_large)
    page.evaluate(
        """async () => {
             for (const notes of ['one', 'two', 'huge', 'four']) {
               await UprightSync.enqueue('entries', { date: '2026-01-02', pain: 3, notes });
             }
           }"""
    )
    result = page.evaluate("UprightSync.flush()")
    assert sizes == [4, 2, 2, 1, 1]  # halves until the one too large is alone
    assert result["sent"] == 3 and result["waiting"] == 0 and len(result["problems"]) == 1
    assert rows(live_server, page.patient.id) == 3
