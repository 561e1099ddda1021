"""Check-ins saved through the JSON API under load, against a trivial route of the same app.

The production server (gunicorn, 2 workers, SQLite in WAL mode) on loopback; `wrk` (Debian's
package) holds 16 connections open for a fixed time. Each POST carries a new client UUID, so
every request is a real insert; afterwards the row count must equal the requests answered 201.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import requests

from .support import count_rows, database_url, engine_name, start_production_server, stop

CONNECTIONS, THREADS, SECONDS = 16, 4, 10
EMAIL, PASSWORD = "bench@example.com", "bench password 1"

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
  local id = string.format("%08x-0000-4000-8000-%012x", tid, counter)
  local body = '{"id":"' .. id .. '","date":"DATE","pain":5,"locations":["middle_back"],'
    .. '"minutes_walked":20,"notes":"bench"}'
  return wrk.format("POST", "/api/v1/entries", nil, body)
end
"""


def sign_in(base: str) -> tuple[str, str]:
    """Session cookie and CSRF token of a signed-in bench patient."""
    http = requests.Session()
    page = http.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    http.post(f"{base}/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    csrf = http.get(f"{base}/api/v1/csrf").json()["csrf_token"]
    return http.cookies.get("session"), csrf


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
    if "Requests/sec" not in output or "50%" not in output:
        raise RuntimeError(f"unexpected wrk output: {output} {result.stderr}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)$", output, re.MULTILINE).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)$", output, re.MULTILINE).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def run() -> list[dict]:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is missing: `make bench` installs it")
    workdir = Path(tempfile.mkdtemp(prefix="upright-bench-"))
    server, base = start_production_server(workdir, EMAIL, PASSWORD)
    database = database_url(workdir)
    try:
        session, csrf = sign_in(base)
        headers = {"Cookie": f"session={session}", "X-CSRFToken": csrf,
                   "Content-Type": "application/json"}  # fmt: skip
        today = datetime.now(UTC).date().isoformat()
        trivial = run_wrk(f"{base}/healthz", {}, None)
        saves = run_wrk(f"{base}/api/v1/entries", headers, POST_SCRIPT.replace("DATE", today))
    finally:
        stop(server)
    rows = count_rows(database, "checkins")
    shutil.rmtree(workdir, ignore_errors=True)
    if saves["errors"] or rows < saves["requests"] - CONNECTIONS:
        raise RuntimeError(f"lost check-ins: {saves['requests']} answered, {rows} rows")
    name = f"api save check-in ({CONNECTIONS} clients, gunicorn 2 workers, {engine_name(database)})"
    return [
        {"benchmark": "trivial route GET /healthz", "metric": "throughput",
         "value": f"{trivial['rps']:.0f}", "unit": "req/s", "goal": ""},
        {"benchmark": "trivial route GET /healthz", "metric": "p50 / p99 latency",
         "value": f"{trivial['p50']:.1f} / {trivial['p99']:.1f}", "unit": "ms", "goal": ""},
        {"benchmark": name, "metric": "throughput", "value": f"{saves['rps']:.0f}",
         "unit": "req/s", "goal": ""},
        {"benchmark": name, "metric": "p50 / p99 latency",
         "value": f"{saves['p50']:.1f} / {saves['p99']:.1f}", "unit": "ms", "goal": "p99 < 50"},
        {"benchmark": name, "metric": "throughput ratio save / trivial",
         "value": f"{saves['rps'] / trivial['rps']:.2f}", "unit": "", "goal": ">= 0.5"},
        {"benchmark": name, "metric": "rows stored / requests answered",
         "value": f"{rows} / {saves['requests']}", "unit": "", "goal": "equal"},
    ]  # fmt: skip
