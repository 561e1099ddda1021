"""Check-ins saved through the JSON API under load, against the floor: a minimal Flask +
SQLAlchemy endpoint inserting the same row (bench/floor_app.py says exactly what it does).

The production server (gunicorn, 2 workers) on loopback; `wrk` (Debian's package) holds 16
connections open for a fixed time. Each POST carries a new client UUID, so every request is a
real insert; afterwards the row count must equal the requests answered, give or take the one
request each connection has in flight when wrk stops (wrk counts no answer for it). The patient
has checked in on each of the 7 days before, as a daily user has, so the real save's diary read
finds a week.

Issue 18 asks for the real save at 0.8x the floor's throughput or better on both engines, with
p99 under 50 ms on SQLite. A third app serves the floor's exact view as a route of the real app
(`create_app_in_upright`), so the table also shows how much of the gap is the app's own cost
per request (its session, CSRF, request-limit, security-header and remember-cookie hooks)
rather than the save. The machine may be shared, so each engine's three apps are measured
interleaved (real, floor, inside, real, ...) and the ratios are of their mean throughputs.
SQLite runs in a temporary directory; PostgreSQL on DATABASE_URL's server when it names one,
else on a throwaway server (tests/postgres.py, durability off as in the tests, the same for
all three apps), or is skipped with a message when PostgreSQL is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import make_url

from pwa.models import CheckIn, User

from .support import (
    SERVER_URL,
    count_rows,
    database_url,
    drop_database,
    server_env,
    start_gunicorn,
    start_production_server,
    stop,
)

CONNECTIONS, THREADS, SECONDS, ROUNDS = 16, 4, 10, 2
# The real save, the floor, and the floor's own view served inside the real app (its hooks):
# measured in turn, ROUNDS times.
APPS = ("real", "floor", "inside")
EMAIL, PASSWORD, SECRET = "bench@example.com", "bench password 1", "bench-secret"
# The browser signs in and then saves with the same User-Agent, as a phone does. (Flask-Login
# ties a session to the address and User-Agent it signed in from: a request from another one
# marks the session "not fresh" and so rewrites its cookie.)
USER_AGENT = "Upright-bench/1"
FLOOR = (
    "the floor: a minimal Flask + SQLAlchemy app (bench/floor_app.py) inserting the same row "
    "into checkins with one Core INSERT, after the same session-cookie, server-side session "
    "(one SELECT) and CSRF checks; no validation, idempotency, warning signs or entry answer"
)

POST_SCRIPT = """
local counter = 0
local tid = 0
local next_tid = 0
function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end
function init(args)
  tid = tonumber(wrk.thread:get("tid"))
end
request = function()
  counter = counter + 1
  local id = string.format("%08x-RUN-4000-8000-%012x", tid, counter)
  local body = '{"id":"' .. id .. '","date":"DATE","pain":5,"locations":["middle_back"],'
    .. '"minutes_walked":20,"notes":"bench"}'
  return wrk.format("POST", "PATH", nil, body)
end
"""


def sign_in(base: str) -> tuple[str, str]:
    """Session cookie and CSRF token of a signed-in bench patient."""
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    page = http.get(f"{base}/login").text
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": found.group(1)}
    http.post(f"{base}/login", data=form)
    csrf = http.get(f"{base}/api/v1/csrf").json()["csrf_token"]
    session = http.cookies.get("session")
    if session is None:
        raise RuntimeError("the bench patient could not sign in")
    return session, csrf


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise RuntimeError(f"unexpected latency in wrk's output: {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def run_wrk(url: str, headers: dict[str, str], script: str | None) -> dict:
    args = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        args += ["-s", lua.name]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    os.unlink(lua.name)
    output = result.stdout

    def grab(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"unexpected wrk output: {output} {result.stderr}")
        return match.group(1)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {
        "rps": float(grab(r"Requests/sec:\s+([\d.]+)")),
        "p50": to_ms(grab(r"^\s+50%\s+(\S+)\s*$")),
        "p99": to_ms(grab(r"^\s+99%\s+(\S+)\s*$")),
        "requests": int(grab(r"(\d+) requests in")),
        "errors": (int(errors.group(1)) if errors else 0)
        + (int(timeouts.group(1)) if timeouts else 0),
    }


def seed_week(url: str, today: str) -> None:
    """A check-in on each of the 7 days before today, as a patient who checks in daily has."""
    engine = create_engine(url)
    day = datetime.fromisoformat(today).date()
    try:
        with engine.begin() as connection:
            user_id = connection.scalar(select(User.id).where(User.email == EMAIL))
            for n in range(1, 8):
                noon = datetime.combine(day - timedelta(days=n), datetime.min.time()) + timedelta(
                    hours=12
                )
                connection.execute(
                    insert(CheckIn),
                    {"uuid": f"00000000-0000-4000-8000-{n:012x}", "user_id": user_id,
                     "date": day - timedelta(days=n), "pain_avg": 4, "locations": [],
                     "created_at": noon, "updated_at": noon},
                )  # fmt: skip
    finally:
        engine.dispose()


def postgres_server(stack: ExitStack) -> str | None:
    """DATABASE_URL's PostgreSQL server, else a throwaway one; None (with a message) when
    PostgreSQL is not installed."""
    if SERVER_URL and make_url(SERVER_URL).get_backend_name() == "postgresql":
        return SERVER_URL
    from tests.postgres import Cluster, binary

    try:
        binary("initdb")
    except RuntimeError as missing:
        print(f"bench_api: PostgreSQL half skipped: {missing}", flush=True)
        return None
    cluster = Cluster().start()
    stack.callback(cluster.stop)
    return cluster.url.render_as_string(hide_password=False)


def compare(engine: str, server: str | None) -> list[dict]:
    """The real save, the floor and the floor inside the app on one engine, interleaved; the
    table's rows."""
    workdir = Path(tempfile.mkdtemp(prefix="upright-bench-"))
    url = database_url(workdir, server)
    today = datetime.now(UTC).date().isoformat()
    script = POST_SCRIPT.replace("DATE", today)
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        stack.callback(drop_database, workdir)
        real, base = start_production_server(workdir, EMAIL, PASSWORD, SECRET, server)
        stack.callback(stop, real)
        seed_week(url, today)
        env = server_env(workdir, url, SECRET)
        floor, floor_base = start_gunicorn("bench.floor_app:create_app()", env, "/ready")
        stack.callback(stop, floor)
        inside, inside_base = start_gunicorn(
            "bench.floor_app:create_app_in_upright()", env, "/healthz"
        )
        stack.callback(stop, inside)
        session, csrf = sign_in(base)
        headers = {"Cookie": f"session={session}", "X-CSRFToken": csrf,
                   "Content-Type": "application/json", "User-Agent": USER_AGENT}  # fmt: skip
        trivial = run_wrk(f"{base}/healthz", {}, None)
        page = run_wrk(f"{base}/checkin", {"Cookie": headers["Cookie"], "User-Agent": USER_AGENT},
                       None)  # fmt: skip  # the check-in page: for sizing (docs/deploy.md)
        runs: dict[str, list[dict]] = {kind: [] for kind in APPS}
        targets = {
            "real": (base, "/api/v1/entries"),
            "floor": (floor_base, "/api/v1/entries"),
            "inside": (inside_base, "/api/v1/bench-floor"),
        }
        for n in range(ROUNDS):
            for k, kind in enumerate(APPS):
                at, path = targets[kind]
                # fresh ids each run; the script names the path (wrk's URL gives only the host)
                turn = script.replace("RUN", f"{n * len(APPS) + k:04x}").replace("PATH", path)
                runs[kind].append(run_wrk(f"{at}{path}", headers, turn))
                print(f"  {engine} round {n + 1} {kind}: {runs[kind][-1]['rps']:.0f} req/s",
                      file=sys.stderr, flush=True)  # fmt: skip
        for server_process in (real, floor, inside):
            stop(server_process)
        rows = count_rows(url, "checkins") - 7
    answered = sum(r["requests"] for kind in runs.values() for r in kind)
    errors = sum(r["errors"] for kind in runs.values() for r in kind)
    if errors or not answered <= rows <= answered + CONNECTIONS * len(APPS) * ROUNDS:
        raise RuntimeError(f"{engine}: {answered} saves answered, {errors} errors, {rows} rows")
    return table(engine, trivial, page, runs, rows, answered)


def table(
    engine: str, trivial: dict, page: dict, runs: dict[str, list[dict]], rows: int, answered: int
) -> list[dict]:
    def rps(kind: str) -> float:
        return sum(r["rps"] for r in runs[kind]) / len(runs[kind])

    def latency(kind: str) -> str:  # the worst round's
        return " / ".join(f"{max(r[p] for r in runs[kind]):.1f}" for p in ("p50", "p99"))

    name = f"api save check-in, {engine} ({CONNECTIONS} clients, gunicorn 2 workers)"
    floor = f"api floor: minimal insert, {engine}"
    inside = f"api floor's view inside Upright (its hooks), {engine}"
    p99_goal = "p99 < 50" if engine == "SQLite" else ""
    return [
        {"benchmark": f"trivial route GET /healthz, {engine}", "metric": "throughput",
         "value": f"{trivial['rps']:.0f}", "unit": "req/s", "goal": ""},
        {"benchmark": f"signed-in page GET /checkin, {engine}", "metric": "throughput",
         "value": f"{page['rps']:.0f}", "unit": "req/s", "goal": ""},
        {"benchmark": name, "metric": "throughput", "value": f"{rps('real'):.0f}",
         "unit": "req/s", "goal": ""},
        {"benchmark": name, "metric": "p50 / p99 latency (worst round)",
         "value": latency("real"), "unit": "ms", "goal": p99_goal},
        {"benchmark": floor, "metric": "throughput", "value": f"{rps('floor'):.0f}",
         "unit": "req/s", "goal": ""},
        {"benchmark": floor, "metric": "p50 / p99 latency (worst round)",
         "value": latency("floor"), "unit": "ms", "goal": ""},
        {"benchmark": inside, "metric": "throughput",
         "value": f"{rps('inside'):.0f}", "unit": "req/s", "goal": ""},
        {"benchmark": name, "metric": f"throughput ratio save / floor ({ROUNDS} rounds each)",
         "value": f"{rps('real') / rps('floor'):.2f}", "unit": "", "goal": ">= 0.8"},
        {"benchmark": inside, "metric": "throughput ratio to the floor: the app's ceiling",
         "value": f"{rps('inside') / rps('floor'):.2f}", "unit": "", "goal": ""},
        {"benchmark": name, "metric": "throughput ratio save / floor's view inside Upright",
         "value": f"{rps('real') / rps('inside'):.2f}", "unit": "", "goal": ""},
        {"benchmark": name, "metric": "throughput ratio save / trivial",
         "value": f"{rps('real') / trivial['rps']:.2f}", "unit": "", "goal": ">= 0.5"},
        {"benchmark": name, "metric": "rows stored / requests answered (all three apps)",
         "value": f"{rows} / {answered}", "unit": "",
         "goal": f"equal, + up to {CONNECTIONS * len(APPS) * ROUNDS} in flight at wrk's stops"},
    ]  # fmt: skip


def run() -> list[dict]:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is missing: `make bench` installs it")
    print(f"bench_api: {FLOOR}.", flush=True)
    with ExitStack() as stack:
        rows = compare("SQLite", None)
        server = postgres_server(stack)
        if server is not None:
            rows += compare("PostgreSQL", server)
    return rows
