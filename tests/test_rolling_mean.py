"""One 7-day average rule for the history chart, the report's chart and the pain-jump warning:
the mean of the daily pain of the 7 days ending on the day, with at least 3 of them logged."""

from datetime import date, timedelta

from pwa.checkin.services import rolling_mean
from pwa.checkin.trend import trend_svg

DAY = date(2026, 3, 10)


def days_before(*pains: int) -> dict[date, int]:
    return {DAY - timedelta(days=i): pain for i, pain in enumerate(pains)}


def test_fewer_than_three_logged_days_give_no_average():
    assert rolling_mean(days_before(4, 6), DAY) is None


def test_three_logged_days_in_the_window_give_their_mean():
    assert rolling_mean(days_before(4, 6, 5), DAY) == 5.0


def test_only_the_seven_days_ending_on_the_day_count():
    daily = {DAY - timedelta(days=7): 10, **days_before(1, 2, 3)}
    assert rolling_mean(daily, DAY) == 2.0
    assert rolling_mean({DAY - timedelta(days=i): 2 for i in (4, 5, 6)}, DAY) == 2.0


def test_the_mean_is_rounded_to_two_decimals():
    assert rolling_mean(days_before(1, 1, 2), DAY) == 1.33


def test_the_history_chart_draws_the_line_only_from_three_logged_days(app, signed_in):
    today = signed_in.today()
    start = today - timedelta(days=29)
    daily = {today - timedelta(days=i): 4 for i in (0, 1, 2)}
    assert 'class="average"' not in str(trend_svg(daily, start, today)), "one point, no line"
    daily[today - timedelta(days=3)] = 4
    assert 'class="average"' in str(trend_svg(daily, start, today))
