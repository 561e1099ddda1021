"""`make bench`: runs every bench/bench_*.py module's run() and prints one table.

Each module's run() returns rows: {"benchmark", "metric", "value", "unit", "goal"}.
`python -m bench NAME ...` runs only the modules whose names contain NAME.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(selected: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    rows, failures = [], []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(importlib.import_module(f"bench.{name}").run())
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the rest
            failures.append(f"{name}: {error!r}")
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print_table(rows)
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


def print_table(rows: list[dict]) -> None:
    headers = ["benchmark", "metric", "value", "unit", "goal"]
    cells = [[str(row.get(h, "")) for h in headers] for row in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
