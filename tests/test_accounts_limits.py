"""No existence oracle and no racing (issue 14): unknown addresses cost the same argon2 work,
the throttle counts atomically under parallel guesses, per-client limits, password rules."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from pwa import create_app
from pwa.auth.limits import Throttled, hit, prune_ended_windows
from pwa.auth.passwords import dummy_hash, password_problem
from pwa.auth.services import ThrottlePolicy, authenticate
from pwa.extensions import db as _db
from pwa.models import ClientLimit, LoginThrottle, utcnow

from .conftest import PASSWORD, config_for, forget_user_between_requests, make_patient


@pytest.mark.database
def test_an_unknown_address_costs_the_same_argon2_work_as_a_real_one(tmp_path):
    defaults = PasswordHasher()  # production settings, not the suite's fast ones
    app = create_app(
        config_for(
            tmp_path, ARGON2_TIME_COST=defaults.time_cost, ARGON2_MEMORY_COST=defaults.memory_cost
        )
    )
    policy = ThrottlePolicy(free_attempts=1000)
    with app.app_context():
        _db.create_all()
        patient = make_patient(email="anna@example.com")
        patient_hash = patient.password_hash
        known, unknown = [], []
        for round_ in range(9):
            for email, times in ((patient.email, known), (f"nobody{round_}@example.com", unknown)):
                start = time.perf_counter()
                assert (
                    authenticate(_db.session, email, "wrong guess", now=utcnow(), policy=policy)
                    is None
                )
                times.append(time.perf_counter() - start)
        _db.session.remove()
        _db.engine.dispose()
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    print(f"sign-in medians: real address {known_median * 1000:.1f} ms, "
          f"unknown address {unknown_median * 1000:.1f} ms")  # fmt: skip
    # The same argon2 settings behind both answers, read from the hashes themselves...
    assert extract_parameters(dummy_hash()) == extract_parameters(patient_hash)
    # ...and the same time. The fastest of the interleaved rounds is what the work costs: a
    # median on a shared 2-core machine also measures whatever else ran (other test workers).
    assert 0.7 < min(unknown) / min(known) < 1.4, (known, unknown)


@pytest.mark.database
def test_fifty_parallel_guesses_get_only_the_free_attempts_and_no_errors(tmp_path):
    app = create_app(config_for(tmp_path))
    forget_user_between_requests(app)
    with app.app_context():
        _db.create_all()
        patient = make_patient(email="anna@example.com")
        email = patient.email

    def guess(n: int) -> tuple[int, str]:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": f"guess number {n}"})
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(guess, range(50)))
    statuses = [status for status, _ in answers]
    evaluated = [body for _, body in answers if "is not right" in body]
    waited = [body for _, body in answers if "Too many tries" in body]
    assert statuses == [200] * 50
    assert len(evaluated) == app.config["LOGIN_FREE_ATTEMPTS"]
    assert len(evaluated) + len(waited) == 50
    with app.app_context():
        throttle = _db.session.get(LoginThrottle, email)
        assert throttle.failures == 5 and throttle.locked_until > utcnow()
        _db.session.remove()
        _db.engine.dispose()


def test_the_client_counter_is_one_statement_that_holds_across_threads(app):
    def one(_n: int) -> bool:
        with app.app_context():
            try:
                hit(_db.session, "test:client", limit=20, window=60, now=utcnow())
            except Throttled:
                return False
            finally:
                _db.session.remove()
            return True

    with ThreadPoolExecutor(max_workers=20) as pool:
        allowed = list(pool.map(one, range(40)))
    assert allowed.count(True) == 20
    assert _db.session.get(ClientLimit, "test:client").hits == 40


def test_the_client_counter_starts_again_after_its_window(app, db):
    now = utcnow()
    for _ in range(3):
        hit(db.session, "k", limit=3, window=60, now=now)
    with pytest.raises(Throttled) as waited:
        hit(db.session, "k", limit=3, window=60, now=now)
    assert 55 <= waited.value.retry_after <= 61
    from datetime import timedelta

    assert hit(db.session, "k", limit=3, window=60, now=now + timedelta(seconds=61)) == 1


@pytest.mark.database
def test_counters_whose_window_ended_are_pruned_and_every_limit_holds_as_before(app, db):
    """Only rows a hit would reset are deleted: a live window keeps its count (and its
    refusal), an ended one starts again at 1 as it would have."""
    now = utcnow()
    hour = 3600
    db.session.add_all([
        ClientLimit(key="login-ip:203.0.113.5", window_start=now - timedelta(hours=2), hits=50),
        ClientLimit(key="reset-email:a@example.com", window_start=now - timedelta(seconds=hour),
                    hits=3),
        ClientLimit(key="register-email:b@example.com", window_start=now - timedelta(minutes=30),
                    hits=3),
    ])  # fmt: skip
    db.session.commit()
    assert prune_ended_windows(db.session, now=now, longest_window=hour) == 2
    assert db.session.scalars(select(ClientLimit.key)).all() == ["register-email:b@example.com"]
    with pytest.raises(Throttled):  # still within its hour: the fourth is refused
        hit(db.session, "register-email:b@example.com", limit=3, window=hour, now=now)
    assert hit(db.session, "login-ip:203.0.113.5", limit=50, window=15 * 60, now=now) == 1
    assert prune_ended_windows(db.session, now=now, longest_window=hour) == 0


@pytest.mark.database
def test_the_scheduler_tick_prunes_ended_windows_in_batches(app, db, monkeypatch):
    import pwa.auth.limits as limits
    from pwa.reminders.scheduler import tick

    monkeypatch.setattr(limits, "PRUNE_BATCH", 2)
    now = utcnow()
    longest = max(window for _limit, window in app.config["CLIENT_LIMITS"].values())
    ended = now - timedelta(seconds=longest, minutes=1)
    db.session.add_all(
        [ClientLimit(key=f"login-ip:10.0.0.{n}", window_start=ended, hits=1) for n in range(5)]
        + [ClientLimit(key="login-ip:10.0.1.1", window_start=now, hits=1)]
    )
    db.session.commit()
    assert tick(app, now).errors == []
    assert db.session.scalars(select(ClientLimit.key)).all() == ["login-ip:10.0.1.1"]


def test_spraying_many_addresses_from_one_client_is_slowed(app, client):
    app.config["CLIENT_LIMITS"] = {**app.config["CLIENT_LIMITS"], "login-ip": (5, 900)}
    for n in range(5):
        html = client.post("/login", data={"email": f"a{n}@example.com", "password": "x y z w"})
        assert "is not right" in html.get_data(as_text=True)
    sixth = client.post("/login", data={"email": "a9@example.com", "password": "x y z w"})
    assert "Too many tries" in sixth.get_data(as_text=True)
    other = app.test_client()  # another client (another address on the internet) is not held
    response = other.post(
        "/login", data={"email": "a9@example.com", "password": "x y z w"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )  # fmt: skip
    assert "is not right" in response.get_data(as_text=True)


def test_a_flood_of_registrations_from_one_client_is_slowed(app, client, db):
    for n in range(10):
        client.post("/logout")
        client.post("/register", data={
            "name": f"Person {n}", "email": f"p{n}@example.com", "password": PASSWORD,
            "confirm": PASSWORD, "timezone": "America/Chicago",
        })  # fmt: skip
    client.post("/logout")
    html = client.post("/register", data={
        "name": "Person X", "email": "px@example.com", "password": PASSWORD,
        "confirm": PASSWORD, "timezone": "America/Chicago",
    }).get_data(as_text=True)  # fmt: skip
    assert "Too many tries" in html
    from pwa.models import User

    assert len(db.session.scalars(select(User)).all()) == 10


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 8 characters"),
        ("password", "most common"),
        ("12345678", "most common"),
        ("Password1", "most common"),
        ("anna@example.com", "e-mail address"),
        ("ANNA@example.com", "e-mail address"),
        ("annasmith", "your name"),
        ("Anna Smith", "your name"),
    ],
)
def test_weak_passwords_are_refused_with_a_plain_reason(client, db, password, reason):
    html = client.post("/register", data={
        "name": "Anna Smith", "email": "anna@example.com", "password": password,
        "confirm": password, "timezone": "America/Chicago",
    }).get_data(as_text=True)  # fmt: skip
    assert 'id="password-error"' in html and reason in html
    assert 'value="Anna Smith"' in html  # the rest of the form is kept


def test_a_good_password_passes_and_the_list_ships_with_the_app():
    assert password_problem("my back is getting better", email="a@b.c", name="Anna") is None
    assert password_problem("qwertyuiop") is not None


def test_changing_the_password_follows_the_same_rules(client, signed_in):
    html = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": signed_in.email, "confirm": signed_in.email},
    ).get_data(as_text=True)
    assert "e-mail address as your password" in html
