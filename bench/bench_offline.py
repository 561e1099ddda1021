"""Light and fast (issue 4): page weight, precache size, outbox sync time, Lighthouse scores.

Everything runs against the production server (gunicorn, 2 workers, SQLite) on loopback, with
Debian's Chromium:
- bytes of HTML, CSS and JavaScript the browser downloads to show the check-in page (goal
  < 60 KB uncompressed), measured on a first visit, before any service worker;
- total bytes of the service worker's precache list (goal < 1.5 MB);
- time for the page to send 1,000 check-ins queued offline (goal < 5 s), rows checked after;
- Lighthouse 12 mobile scores (performance >= 95, accessibility 100, best practices >= 95) for
  the welcome page, a library article and the signed-in check-in page. Lighthouse comes from
  npm into the git-ignored node_modules/ (`npm install --no-save lighthouse@12`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import requests
from playwright.sync_api import sync_playwright

from .support import ROOT, count_rows, database_url, start_production_server, stop

CHROMIUM = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
EMAIL, PASSWORD = "offline-bench@example.com", "bench password 1"
QUEUED = 1_000
ROUNDS = 3
LIGHTHOUSE_PAGES = {"welcome": "/", "article": "/learn/kyphoplasty", "check-in": "/checkin"}


def row(metric: str, value, unit: str, goal: str) -> dict:
    return {"benchmark": "offline", "metric": metric, "value": value, "unit": unit, "goal": goal}


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    return start_production_server(workdir, EMAIL, PASSWORD, secret="offline-bench-secret")


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def checkin_page_bytes(browser, base: str) -> int:
    """HTML + CSS + JS downloaded for /checkin on a first visit (fonts and images not counted)."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    sign_in(page, base)
    sizes: dict[str, int] = {}

    def record(response) -> None:
        wanted = {"document", "stylesheet", "script"}
        if response.request.resource_type in wanted and not 300 <= response.status < 400:
            sizes[response.url] = len(response.body())

    page.on("response", record)
    page.goto(f"{base}/checkin", wait_until="networkidle")
    context.close()
    return sum(sizes.values())


def precache_bytes(base: str) -> tuple[int, int]:
    urls = requests.get(f"{base}/offline/precache.json", timeout=10).json()["precache"]
    return len(urls), sum(len(requests.get(base + url, timeout=10).content) for url in urls)


def sync_seconds(browser, base: str, workdir: Path) -> tuple[list[float], int]:
    """Queue QUEUED check-ins in the outbox (several per day, as patients do), then time one
    send of the whole outbox; ROUNDS times (the median is reported, the machine is shared).
    The database must then hold exactly ROUNDS * QUEUED rows."""
    context = browser.new_context()
    # The page sends, not Background Sync, so the timing covers one known sender.
    context.add_init_script(
        "Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', { get() {} });"
    )
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/learn/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    first_day = (datetime.now(UTC).date() - timedelta(days=QUEUED // 3)).isoformat()
    timings = []
    for _ in range(ROUNDS):
        page.evaluate(
            """async ([count, firstDay]) => {
                 const start = Date.parse(firstDay);
                 for (let n = 0; n < count; n += 1) {
                   const day = new Date(start + Math.floor(n / 3) * 86400000)
                     .toISOString().slice(0, 10);
                   await UprightSync.enqueue('entries',
                                             { date: day, pain: n % 11, notes: `bench ${n}` });
                 }
               }""",
            [QUEUED, first_day],
        )
        assert page.evaluate("UprightSync.status().then(s => s.waiting)") == QUEUED
        started = time.perf_counter()
        result = page.evaluate("UprightSync.flush({ reason: 'bench' })")
        timings.append(time.perf_counter() - started)
        if result["sent"] != QUEUED or result["waiting"] != 0:
            raise RuntimeError(f"sync sent {result['sent']} of {QUEUED}: {result}")
    context.close()
    rows = count_rows(database_url(workdir), "checkins")
    return timings, rows


def lighthouse_bin() -> Path:
    """Lighthouse 12 from npm, installed once into the git-ignored node_modules/."""
    binary = ROOT / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "lighthouse@12"],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
    return binary


def lighthouse_scores(base: str, session_cookie: str, workdir: Path) -> dict[str, dict]:
    binary = lighthouse_bin()
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    scores = {}
    for name, path in LIGHTHOUSE_PAGES.items():
        report = workdir / f"lighthouse-{name}.json"
        args = [
            str(binary), base + path, "--quiet", "--output=json", f"--output-path={report}",
            "--only-categories=performance,accessibility,best-practices",
            "--chrome-flags=--headless=new " + " ".join(CHROMIUM_ARGS),
        ]  # fmt: skip
        if path == "/checkin":
            args.append("--extra-headers=" + json.dumps({"Cookie": f"session={session_cookie}"}))
        subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        result = json.loads(report.read_text())
        if result.get("runtimeError"):
            raise RuntimeError(f"lighthouse {name}: {result['runtimeError']}")
        if result["finalDisplayedUrl"].rstrip("/") != (base + path).rstrip("/"):
            raise RuntimeError(f"lighthouse {name} ended on {result['finalDisplayedUrl']}")
        scores[name] = {key: round(cat["score"] * 100) for key, cat in result["categories"].items()}
    return scores


def session_cookie(base: str) -> str:
    import re

    http = requests.Session()
    page = http.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    http.post(
        f"{base}/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    return http.cookies.get("session")


def run() -> list[dict]:
    workdir = Path(tempfile.mkdtemp(prefix="upright-offline-bench-"))
    server, base = start_server(workdir)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page_bytes = checkin_page_bytes(browser, base)
            rows.append(row("check-in page HTML+CSS+JS", round(page_bytes / 1024, 1), "KB", "< 60"))
            count, total = precache_bytes(base)
            rows.append(row(f"precache ({count} URLs)", round(total / 1024, 1), "KB", "< 1536"))
            timings, stored = sync_seconds(browser, base, workdir)
            spread = f"median of {ROUNDS}: " + ", ".join(f"{t:.2f}" for t in sorted(timings))
            rows.append(
                row(f"sync {QUEUED} queued check-ins ({spread})", round(median(timings), 2),
                    "s", "< 5")
            )  # fmt: skip
            rows.append(row("rows after sync", stored, "rows", f"= {ROUNDS * QUEUED}"))
            browser.close()
        goals = {"performance": ">= 95", "accessibility": "= 100", "best-practices": ">= 95"}
        for name, scores in lighthouse_scores(base, session_cookie(base), workdir).items():
            for category, score in scores.items():
                rows.append(row(f"lighthouse {name} {category}", score, "/100", goals[category]))
    finally:
        stop(server)
    return rows


if __name__ == "__main__":
    for item in run():
        print(item)
