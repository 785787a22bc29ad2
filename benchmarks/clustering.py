"""Topic clustering at scale: 25k and 100k synthetic 384-d embeddings from 50 known topics.

Runs `asknews_assets.topics.clustering.cluster_embeddings` with the `topic_clusters` asset's
default settings (the same function and defaults) on a mixture of 50 topics: unit-normalised
gaussian blobs around random directions, topic sizes drawn from a Dirichlet, per-topic spread such
that articles of one topic have cosine ~0.45-0.6 to each other and ~0 to other topics (what
sentence embeddings of one news story vs unrelated news look like). Random topic directions are the
hard case for a linear reduction: 50 orthogonal topics must share the 15 PCA components.

Each size runs in a fresh subprocess, which reports the clustering's wall and CPU time (its own
and its core-distance workers'), its peak resident memory (the process's maxrss plus its largest
worker's: an upper bound) and the adjusted Rand index with the known topics, computed twice:
- over the clustered articles only (noise excluded), held to >= 0.8 at every size together with a
  noise share <= 0.15, so that leaving articles out cannot buy the score;
- with HDBSCAN's noise counted as one more label (unassigned articles count against it), held to
  >= 0.8 at 100k as the target asks; at smaller sizes it is reported only.
Wall times are those of a shared machine; the CPU seconds and the 100k/25k ratio, measured side by
side, are the steadier figures.

    python -m benchmarks.clustering            # 25k and 100k (about 2-3 minutes on 2 cores)
    python -m benchmarks.clustering --quick    # 5k and 20k
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = (25_000, 100_000)
QUICK_SIZES = (5_000, 20_000)
TOPICS = 50
DIM = 384
SECONDS_TARGET = 120.0  # for 100k articles on 2 cores; smaller sizes are held to it too
ARI_TARGET = 0.8
NOISE_TARGET = 0.15  # the clustered-only ARI is only meaningful if few articles are left out
PEAK_MB_TARGET = 4096.0
SCALING_TARGET = 8.0  # time(4n) / time(n): n log n gives ~4.5, quadratic 16


def topic_mixture(n: int, topics: int = TOPICS, dim: int = DIM, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings n x dim, float32, unit rows; the true topic of each row)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.choice(topics, size=n, p=rng.dirichlet(np.full(topics, 5.0)))
    spread = rng.uniform(0.04, 0.055, size=topics).astype(np.float32)
    embeddings = centres[truth]
    embeddings += rng.standard_normal((n, dim), dtype=np.float32) * spread[truth, None]
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings, truth


def _cpu_seconds() -> float:
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def measure(n: int) -> dict:
    """Cluster n synthetic articles in this process and report the figures (run in a subprocess)."""
    from sklearn.metrics import adjusted_rand_score

    from asknews_assets.topics.clustering import NOISE, ClusteringSettings, cluster_embeddings

    embeddings, truth = topic_mixture(n)
    import hdbscan  # noqa: F401  (imported before the clock starts: a one-off cost, not clustering)

    wall, cpu = time.perf_counter(), _cpu_seconds()
    result = cluster_embeddings(embeddings, ClusteringSettings())
    wall = time.perf_counter() - wall
    # hdbscan computes core distances in joblib's reusable worker processes (above 16k rows):
    # stop them so that their CPU time and memory land in RUSAGE_CHILDREN.
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    cpu = _cpu_seconds() - cpu
    clustered = result.labels != NOISE
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "n": n,
        "seconds": wall,
        "cpu_seconds": cpu,
        "peak_mb": peak_kib / 1024,
        "data_mb": embeddings.nbytes / 2**20,
        "ari": adjusted_rand_score(truth, result.labels),
        "ari_clustered": adjusted_rand_score(truth[clustered], result.labels[clustered]),
        "noise_share": result.noise_share,
        "topics_found": result.topic_count,
        "settings": str(result.settings),
    }


def _measure_in_subprocess(n: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.clustering", "--measure", str(n)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _row(figure: str, value: float, target: float | None = None, higher_is_better: bool = False, **extra) -> dict:
    """A row for benchmarks/__main__.py; without a target it is informational (passed None)."""
    if target is None:
        return {"benchmark": "clustering", "figure": figure, "value": round(value, 3), "target": None, **extra, "passed": None}
    passed = value >= target if higher_is_better else value <= target
    bound = f"{'>=' if higher_is_better else '<='} {target:g}"
    return {"benchmark": "clustering", "figure": figure, "value": round(value, 3), "target": bound, **extra, "passed": passed}


def run(quick: bool = False) -> list[dict]:
    measured = [_measure_in_subprocess(n) for n in (QUICK_SIZES if quick else SIZES)]
    rows = []
    for m in measured:
        size = f"{m['n'] // 1000}k"
        rows += [
            _row(f"seconds @{size}", m["seconds"], SECONDS_TARGET),
            _row(f"CPU seconds (all processes) @{size}", m["cpu_seconds"]),
            _row(f"peak memory MB @{size} (data {m['data_mb']:.0f} MB)", m["peak_mb"], PEAK_MB_TARGET),
            _row(f"ARI, clustered articles @{size}", m["ari_clustered"], ARI_TARGET, higher_is_better=True),
            _row(f"noise share @{size}", m["noise_share"], NOISE_TARGET),
            # Noise as one more label: held to the target at 100k, where the brief sets it; smaller
            # corpora leave relatively more articles unassigned (~11% at 20k).
            _row(f"ARI, noise as a label @{size}", m["ari"], ARI_TARGET if m["n"] >= 100_000 else None, higher_is_better=True),
            _row(f"topics found @{size} (of {TOPICS})", m["topics_found"]),
        ]
    small, large = measured
    ratio = large["seconds"] / small["seconds"]
    # Held to the target in the full run only: below 16k rows hdbscan computes core distances in
    # process, above it in worker processes, so the quick sizes do not compare like with like.
    target = None if quick else SCALING_TARGET
    rows.append(_row(f"time ratio {large['n'] // 1000}k/{small['n'] // 1000}k", ratio, target, ratio=round(ratio, 2)))
    print(f"settings: {large['settings']}", file=sys.stderr)
    return rows


def _print_table(rows: list[dict]) -> None:
    print(f"{'figure':44} {'value':>10} {'target':>8}  passed")
    for row in rows:
        print(f"{row['figure']:44} {row['value']:>10} {row['target'] or '':>8}  {'' if row['passed'] is None else row['passed']}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        _print_table(run(quick="--quick" in sys.argv[1:]))
