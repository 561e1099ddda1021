"""How long the history page is on a phone: 30 days of check-ins at 360 CSS px in Chromium.

Issue 17 asks for the page's height before and after the readable history (the old page was
a 13-screen list of cards). The figure is the document's scroll height in CSS px and in
screens of 640 px (a 360 x 640 phone), and the same at 200% text (the browser's text size).
Runs the app in-process on loopback with a fresh SQLite file; no network beyond loopback.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from datetime import date, datetime, time, timedelta

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from pwa.auth.services import create_user
from pwa.checkin.services import save_checkin
from pwa.extensions import db
from pwa.models import Profile, utcnow

from .support import bench_app

DAYS = 30
WIDTH, SCREEN = 360, 640
PASSWORD = "bench password 1"
EMAIL = "history@example.com"
CHROMIUM = "/usr/bin/chromium"


def seed_month(app, today: date) -> None:
    """One patient with a kyphoplasty and 30 days of check-ins, some with signs and a fall."""
    with app.app_context():
        patient = create_user(
            db.session, email=EMAIL, password=PASSWORD, name="Ada Lovelace", timezone="UTC"
        )
        patient.profile = Profile(
            fracture_date=today - timedelta(days=DAYS + 4),
            treatment="kyphoplasty",
            procedure_date=today - timedelta(days=DAYS - 3),
        )
        db.session.flush()
        for i in range(DAYS):
            day = today - timedelta(days=DAYS - 1 - i)
            values = {
                "date": day,
                "pain_avg": max(1, 7 - i // 5),
                "pain_worst": min(10, 9 - i // 6),
                "minutes_walked": 5 + i,
                "fell": i == 12,
                "fall_injured": False if i == 12 else None,
            }
            signs = ["fever"] if i in (4, 20) else []
            noon = datetime.combine(day, time(12))  # saved on the day itself (UTC patient)
            save_checkin(db.session, patient, values, signs, now=noon)
        db.session.commit()


def measure(base: str, text_scale: int) -> int:
    """Scroll height of /history at 360 px, with the browser's text size at `text_scale`%."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": WIDTH, "height": SCREEN})
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        if text_scale != 100:
            # The browser's own text-size setting: its default font size (16 px at 100%).
            cdp = context.new_cdp_session(page)
            size = 16 * text_scale // 100
            cdp.send("Page.setFontSizes", {"fontSizes": {"standard": size, "fixed": size}})
        page.goto(f"{base}/history")
        height = page.evaluate("document.documentElement.scrollHeight")
        browser.close()
        return int(height)


def run() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        app.config["WTF_CSRF_ENABLED"] = False
        with app.app_context():
            db.create_all()
        seed_month(app, utcnow().date())
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            for scale in (100, 200):
                height = measure(base, scale)
                label = f"history, {DAYS} days, {WIDTH} px, text {scale}%"
                rows.append(
                    {"benchmark": label, "metric": "height", "value": height, "unit": "CSS px"}
                )
                rows.append(
                    {
                        "benchmark": label,
                        "metric": "screens",
                        "value": f"{height / SCREEN:.1f}",
                        "unit": f"of {SCREEN} px",
                    }
                )
        finally:
            server.shutdown()
            thread.join(timeout=5)
            with app.app_context():
                db.engine.dispose()
    return rows
