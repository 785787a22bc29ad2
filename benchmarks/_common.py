"""Measuring helpers shared by the benchmarks: interleaved best-of timings and ratio rows."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_seconds(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The fastest of `repeats` runs of each, interleaved so that load from other processes (which
    only ever slows a run down) falls on all of them alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def ratio_rows(
    benchmark: str, baseline: tuple[str, float], measured: tuple[str, float], target: float, digits: int = 3
) -> list[dict]:
    """The baseline's row, and the measured figure's row with its ratio to the baseline and target."""
    ratio = measured[1] / baseline[1]
    return [
        {"benchmark": benchmark, "figure": baseline[0], "value": round(baseline[1], digits), "target": None, "passed": True},
        {
            "benchmark": benchmark,
            "figure": measured[0],
            "value": round(measured[1], digits),
            "target": target,
            "ratio": round(ratio, 3),
            "passed": ratio >= target,
        },
    ]
