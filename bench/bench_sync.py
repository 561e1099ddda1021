"""Batch sync (issue 18): 1,000 check-ins queued offline reach the server in under 1 s, once.

Against the production server (gunicorn, 2 workers; SQLite, or `DATABASE_URL`'s server) on
loopback, in Debian's headless Chromium: the page queues 1,000 check-ins in the outbox (three
a day, as patients do) and one flush sends them through POST /api/v1/sync, 200 per request;
three rounds, the median reported. Besides the wall time, the server's CPU time and the page's
busy time in it are printed: on a shared machine the wall time is mostly waiting for a core.
Then exactly once: each round adds 1,000 rows; a second flush sends nothing; the same 1,000
queued again with their ids (a phone that never heard the answers) are answered 200 and add no
row. For comparison, the same 1,000 sent one request each (four at a time, as the outbox did
before the batch) to POST /api/v1/entries.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

from playwright.sync_api import sync_playwright

from .bench_offline import CHROMIUM, CHROMIUM_ARGS, sign_in, start_server
from .support import count_rows, database_url, engine_name, stop

QUEUED = 1_000
ROUNDS = 3  # the median is reported: the machine is shared
GOAL_SECONDS = 1.0
TICKS = os.sysconf("SC_CLK_TCK")

QUEUE = """async ([count, firstDay, tag]) => {
  const start = Date.parse(firstDay);
  for (let n = 0; n < count; n += 1) {
    const day = new Date(start + Math.floor(n / 3) * 86400000).toISOString().slice(0, 10);
    await UprightSync.enqueue('entries', { date: day, pain: n % 11, notes: `${tag} ${n}` });
  }
}"""

# The outbox's old way, for comparison: one POST per check-in, four in flight at once.
ONE_BY_ONE = """async ([count, firstDay]) => {
  const token = (await (await fetch('/api/v1/csrf')).json()).csrf_token;
  const start = Date.parse(firstDay);
  const bodies = Array.from({ length: count }, (_, n) => ({
    id: UprightSync.uuid(), pain: n % 11, notes: `single ${n}`,
    date: new Date(start + Math.floor(n / 3) * 86400000).toISOString().slice(0, 10),
  }));
  const started = performance.now();
  const worker = async () => {
    while (bodies.length) {
      const response = await fetch('/api/v1/entries', {
        method: 'POST', body: JSON.stringify(bodies.shift()),
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token },
      });
      if (response.status !== 201) throw new Error(`answered ${response.status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return (performance.now() - started) / 1000;
}"""


def row(metric: str, value, unit: str, goal: str) -> dict:
    return {"benchmark": "sync", "metric": metric, "value": value, "unit": unit, "goal": goal}


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time used so far by the server's worker processes (Linux /proc): what the sync
    costs the server, whatever else the machine is doing."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def page_busy_seconds(cdp) -> float:
    """How long the page's main thread has been busy (Chromium's TaskDuration)."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")


def flush(page) -> tuple[float, dict]:
    started = time.perf_counter()
    result = page.evaluate("UprightSync.flush({ reason: 'bench' })")
    return time.perf_counter() - started, result


def measure(browser, base: str, server: subprocess.Popen, workdir: Path) -> list[dict]:
    context = browser.new_context()
    # The page sends, not Background Sync, so the timing covers one known sender.
    context.add_init_script(
        "Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', { get() {} });"
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    sign_in(page, base)
    page.goto(f"{base}/learn/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
    requests: list[int] = []
    page.on("request", lambda r: requests.append(1) if r.url.endswith("/api/v1/sync") else None)
    url = database_url(workdir)
    timings, cpu, busy, rows = [], [], [], []
    for round_ in range(ROUNDS):
        first_day = (datetime.now(UTC).date() - timedelta(days=QUEUED // 3 + 1)).isoformat()
        page.evaluate(QUEUE, [QUEUED, first_day, f"round {round_}"])
        queued = page.evaluate("UprightSync.outboxEntries()")
        assert len(queued) == QUEUED
        requests.clear()
        used, worked = server_cpu_seconds(server), page_busy_seconds(cdp)
        seconds, result = flush(page)
        cpu.append(server_cpu_seconds(server) - used)
        busy.append(page_busy_seconds(cdp) - worked)
        timings.append(seconds)
        if result["sent"] != QUEUED or result["waiting"] != 0 or result["problems"]:
            raise RuntimeError(f"sync sent {result['sent']} of {QUEUED}: {result}")
        rows.append(count_rows(url, "checkins"))
    batches = len(requests)

    again_seconds, again = flush(page)  # nothing waits: nothing is sent
    # A phone that never heard the answers: the last round's entries, ids and all, queued again.
    page.evaluate(
        "async (all) => { for (const e of all) await UprightSync.enqueue(e.kind, e.body); }",
        queued,
    )
    replay_seconds, replay = flush(page)
    after_replay = count_rows(url, "checkins")
    if again["sent"] != 0 or replay["sent"] != QUEUED or replay["waiting"] != 0:
        raise RuntimeError(f"second flush {again}, replay {replay}")

    single_seconds = page.evaluate(ONE_BY_ONE, [QUEUED, first_day])
    context.close()
    engine = engine_name(url)
    spread = ", ".join(f"{t:.2f}" for t in sorted(timings))
    added = [after - before for before, after in zip([0, *rows], rows, strict=False)]
    return [
        row(f"sync {QUEUED} queued check-ins, {batches} requests ({engine}; median of "
            f"{ROUNDS}: {spread})", round(median(timings), 2), "s", f"< {GOAL_SECONDS:g}"),
        row("  server CPU (gunicorn workers) in it", round(median(cpu), 2), "s", ""),
        row("  the page's main thread busy in it", round(median(busy), 2), "s", ""),
        row("rows added by each round", "/".join(map(str, added)), "rows", f"= {QUEUED} each"),
        row(f"flush again (sent {again['sent']})", round(again_seconds, 2), "s", ""),
        row(f"replay the same {QUEUED} ids (answered 200)", round(replay_seconds, 2), "s", ""),
        row("rows added by the replay", after_replay - rows[-1], "rows", "= 0"),
        row(f"the same {QUEUED}, one request each (4 at once)", round(single_seconds, 2), "s",
            "for comparison"),
    ]  # fmt: skip


def run() -> list[dict]:
    workdir = Path(tempfile.mkdtemp(prefix="upright-sync-bench-"))
    server, base = start_server(workdir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return measure(browser, base, server, workdir)
            finally:
                browser.close()
    finally:
        stop(server)


if __name__ == "__main__":
    for item in run():
        print(item)
