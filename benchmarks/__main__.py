"""Run every benchmark of the project and print one table: figure, value, target, ratio, verdict.

    python -m benchmarks            # full run
    python -m benchmarks --quick    # smaller inputs, same comparisons
    python -m benchmarks clustering gliner   # only these modules

Each module benchmarks/<name>.py defines `run(quick: bool) -> list[dict]` with rows
{"benchmark", "figure", "value", "target", "ratio"?, "passed"}. Every ratio is measured side by
side in the same run, so the verdicts hold on a noisy shared machine where absolute times do not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import benchmarks


def _modules(selected: list[str], quick: bool) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_"))
    unknown = set(selected) - set(names)
    if unknown:
        raise SystemExit(f"unknown benchmarks {sorted(unknown)}; available: {names}")
    if selected:
        return [n for n in names if n in selected]
    # A module can ask to run only when named (the soak takes ~20 minutes), except in --quick runs.
    return [n for n in names if quick or getattr(importlib.import_module(f"benchmarks.{n}"), "IN_DEFAULT_SUITE", True)]


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)

    rows: list[dict] = []
    for name in _modules(args.names, args.quick):
        if not hasattr(module := importlib.import_module(f"benchmarks.{name}"), "run"):
            continue
        started = time.monotonic()
        print(f"== {name} ...", flush=True)
        try:
            rows.extend(module.run(quick=args.quick))
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append({"benchmark": name, "figure": "error", "value": None, "target": "runs", "passed": False})
        print(f"   {time.monotonic() - started:.0f}s", flush=True)

    columns = ["benchmark", "figure", "value", "target", "ratio", "passed"]
    table = [[_format(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) if table else len(c) for i, c in enumerate(columns)]
    print()
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0 if all(row.get("passed", True) is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
