"""The history page at 360 px in Chromium: chart text measured as drawn, at 100% and 200%."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pwa.extensions import db
from pwa.models import User

from ..conftest import make_checkin
from .conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser

PHONE_360 = {"width": 360, "height": 640}

# Every <text> of the chart that is drawn: its size in CSS px as rendered (font size times the
# SVG's scale on screen), and its box, for overlap checks.
RENDERED_TEXT = """() => [...document.querySelectorAll('.trend text')]
  .filter((t) => getComputedStyle(t).display !== 'none')
  .map((t) => {
    const box = t.getBoundingClientRect();
    return {
      text: t.textContent, cls: t.getAttribute('class') || '',
      px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
      left: box.left, right: box.right, top: box.top, bottom: box.bottom,
    };
  })"""


def text_size(context, page, percent: int) -> None:
    """The browser's own text-size setting (its default font size; 16 px is 100%)."""
    size = 16 * percent // 100
    cdp = context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": size, "fixed": size}})


@pytest.fixture
def month_of_checkins(live_server):
    """A patient ten days after a kyphoplasty, with 30 days of check-ins."""
    patient = live_server.create_patient(
        profile={
            "fracture_date": date.today() - timedelta(days=20),
            "treatment": "kyphoplasty",
            "procedure_date": date.today() - timedelta(days=10),
        }
    )
    with live_server.app.app_context():
        user = db.session.get(User, patient.id)
        today = user.today()
        for n in range(30):
            make_checkin(user, date=today - timedelta(days=n), pain_avg=max(1, 8 - n // 4))
    return patient


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"]


@pytest.mark.parametrize("percent", [100, 200])
def test_chart_text_is_at_least_16_px_at_360_and_grows_with_the_text_size(
    browser, live_server, month_of_checkins, percent
):
    context = browser.new_context(viewport=PHONE_360)
    page = context.new_page()
    text_size(context, page, percent)
    sign_in(page, live_server.url, month_of_checkins.email)
    page.goto(live_server.url + "/history")

    texts = page.evaluate(RENDERED_TEXT)
    assert {t["text"] for t in texts} >= {"0", "10", "Kyphoplasty"} or percent == 200
    smallest = min(t["px"] for t in texts)
    assert smallest >= 16 * percent / 100, texts
    weeks = [t for t in texts if "week-label" in t["cls"]]
    assert len(weeks) >= 2
    for a, b in zip(weeks, weeks[1:], strict=False):
        assert not overlaps(a, b), (a, b)
    plot = page.locator(".trend-plot").bounding_box()
    for label in weeks:  # inside the chart, not cut off at the phone's edge
        assert plot["x"] - 1 <= label["left"] and label["right"] <= plot["x"] + plot["width"] + 20
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Dashed red line: your kyphoplasty" in page.locator("figcaption").inner_text()
    assert axe_violations(page) == []
    context.close()
