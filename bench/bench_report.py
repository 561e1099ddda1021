"""The doctor's report PDF for 30, 90 and 365 days of check-ins, against WeasyPrint alone.

"Ours" is the whole request: GET /report.pdf through the app (sign-in session, queries,
build_report, SVG charts, Jinja, render_pdf). "Floor" is the very same final HTML handed to
WeasyPrint alone, with the same stylesheet and fonts: the cost no report code can avoid.
render_pdf pauses Python's cyclic GC while WeasyPrint works, so the floor is measured twice:
with WeasyPrint's defaults, and with the GC paused the same way (the fair base for "overhead").

Times are the median of several runs after a warm-up (wall clock, and this process's CPU time,
which other work on the machine disturbs less). Peak memory is tracemalloc's peak in a separate
run, because tracing slows everything down.
"""

from __future__ import annotations

import io
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from datetime import time as clock

from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from pwa.auth.services import create_user
from pwa.extensions import db
from pwa.gcpause import gc_paused
from pwa.models import Appointment, CheckIn, Profile, WarningEvent
from pwa.report import views
from pwa.report.pdf import StaticFilesOnly
from pwa.timezones import local_to_utc

from .support import bench_app

PERIODS = {30: 5, 90: 5, 365: 3}  # days of check-ins: timed runs
GOALS = {30: 0.8, 365: 2.5}
OVERHEAD_GOAL = 1.3
PASSWORD = "bench password 1"
BASE_URL = "http://localhost/"


def run() -> list[dict]:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        with app.app_context():
            db.create_all()
            patients = {days: _make_patient(f"bench{days}@example.com", days) for days in PERIODS}
            todays = {days: patient.today() for days, patient in patients.items()}
        # Requests run outside that app context: flask-login caches the signed-in user on `g`,
        # which a surrounding app context would share between requests and clients.
        for days, repeats in PERIODS.items():
            rows.extend(_bench_period(app, days, repeats, todays[days]))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


def _bench_period(app, days: int, repeats: int, today) -> list[dict]:
    email = f"bench{days}@example.com"
    url = f"/report.pdf?from={today - timedelta(days=days - 1)}&to={today}"
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})

    def ours() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.data

    html = _final_html(ours)
    static = app.static_folder

    def floor() -> bytes:
        fetcher = StaticFilesOnly(static, BASE_URL)
        return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
            font_config=FontConfiguration()
        )

    def floor_gc_paused() -> bytes:
        with gc_paused():
            return floor()

    name = f"report_pdf_{days}d"
    reader = PdfReader(io.BytesIO(ours()))
    pages = len(reader.pages)
    logged = f"{days} of {days} days logged"
    assert logged in reader.pages[0].extract_text(), "the report is not the bench patient's"
    timings = {fn.__name__: _time(fn, repeats) for fn in (ours, floor, floor_gc_paused)}
    memory = {fn.__name__: _peak_mib(fn) for fn in (ours, floor)}
    wall, cpu = timings["ours"]
    goal = f"< {GOALS[days]} s" if days in GOALS else ""
    rows = [
        _row(name, "wall time (ours: GET /report.pdf)", wall, "s", goal),
        _row(name, "cpu time (ours)", cpu, "s"),
        _row(name, "wall time (floor: WeasyPrint alone)", timings["floor"][0], "s"),
        _row(name, "wall time (floor, GC paused)", timings["floor_gc_paused"][0], "s"),
        _row(
            name,
            "overhead: ours / floor (GC paused)",
            wall / timings["floor_gc_paused"][0],
            "x",
            f"<= {OVERHEAD_GOAL}",
        ),
        _row(name, "ours / floor (WeasyPrint defaults)", wall / timings["floor"][0], "x"),
        _row(name, "peak memory (ours, tracemalloc)", memory["ours"], "MiB"),
        _row(name, "peak memory (floor, tracemalloc)", memory["floor"], "MiB"),
    ]
    rows.append(_row(name, "pages in the PDF", pages, ""))
    return rows


def _final_html(ours) -> str:
    """The HTML the view hands to render_pdf, caught on its way there."""
    caught: list[str] = []
    original = views.render_pdf

    def catch(html, *args, **kwargs):
        caught.append(html)
        return original(html, *args, **kwargs)

    views.render_pdf = catch
    try:
        ours()
    finally:
        views.render_pdf = original
    return caught[0]


def _time(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up: imports, font loading, template compilation
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _row(benchmark: str, metric: str, value: float, unit: str, goal: str = "") -> dict:
    shown = f"{value:.3f}" if isinstance(value, float) else value
    return {"benchmark": benchmark, "metric": metric, "value": shown, "unit": unit, "goal": goal}


def _make_patient(email: str, days: int):
    """A patient with `days` days of full check-ins ending today, some events and visits."""
    rnd = random.Random(days)
    patient = create_user(
        db.session,
        email=email,
        password=PASSWORD,
        name="Bench Patient",
        timezone="America/New_York",
    )
    today = patient.today()
    start = today - timedelta(days=days - 1)
    patient.profile = Profile(
        fracture_levels="T12, L1",
        fracture_date=start - timedelta(days=4),
        treatment="kyphoplasty",
        procedure_date=start + timedelta(days=2),
        procedure_levels="T12",
        doctor_name="Dr Bench",
        osteoporosis_medicine="Alendronate weekly",
        last_dexa_date=start,
    )
    db.session.commit()
    for i in range(days):
        day = start + timedelta(days=i)
        pain = max(0, min(10, round(8 - 5 * i / days + rnd.uniform(-1.5, 1.5))))
        db.session.add(
            CheckIn(
                user_id=patient.id,
                date=day,
                created_at=local_to_utc(day, clock(20), patient.timezone),
                pain_avg=pain,
                pain_worst=min(10, pain + 2),
                pain_activity=min(10, pain + 1),
                locations=["middle_back", "lower_back"],
                limited_activity=pain >= 5,
                bed_rest=pain >= 8,
                sleep_disturbed=pain >= 6,
                walking_aid="walker" if i < days / 2 else "cane",
                minutes_walked=10 + i % 40,
                brace_hours=8,
                acetaminophen_doses=2,
                nsaid_doses=i % 2,
                opioid_doses=2 if i < days / 4 else 0,
                other_pain_med_doses=0,
                osteoporosis_med_taken=i % 7 == 0,
                calcium_taken=True,
                vitamin_d_taken=True,
                fell=i % 45 == 20,
                fall_injured=False,
                weekly_change="much_better" if i % 7 == 6 else None,
                notes="Walked to the mailbox and back; worse after sitting."
                if i % 4 == 0
                else None,
            )
        )
        if i % 10 == 5:
            db.session.add(
                WarningEvent(
                    user_id=patient.id,
                    sign="pain_uncontrolled",
                    tier="urgent",
                    occurred_at=local_to_utc(day, clock(9), patient.timezone),
                    day=day,
                    action="called_doctor",
                )
            )
    for offset in (14, days // 2, days + 3):
        db.session.add(
            Appointment(
                user_id=patient.id,
                starts_at=datetime.combine(start + timedelta(days=offset), clock(15)),
                kind="spine",
                with_whom="Dr Bench",
                questions=["When can I drive?", "Can I stop the brace?"],
            )
        )
    db.session.commit()
    return patient
