"""Embedding speed: the embedder resource against a naive loop and against one bare batched call.

On the same texts (extractive summaries of the sample corpus, budgets of 30 to 150 words, so
lengths vary as real summaries do) and the same loaded all-MiniLM-L6-v2:
1. naive: one `encode` call per text. The ratio is printed without a target: on a quiet 2-core CPU a
   per-text loop over MiniLM is already compute-bound and batches of 16 buy about 1.2-1.3x (batches
   of 64 are slower than the loop: the rows by batch size below), while on a loaded machine, where
   every small call pays for waking torch's threads, the loop fell 7-9x behind. Large batches pay off
   on a GPU, which is where production embeds.
2. bare: one `encode(texts, batch_size=...)` call, normalised. Target: the embedder keeps >= 90% of
   its throughput (its length sorting, batching and order restoring cost nothing noticeable) and
   gives the same vectors (max |difference| <= 1e-4).

Run: python -m benchmarks.embedding [--quick]
"""

from __future__ import annotations

import sys

import numpy as np

from asknews_assets import settings
from asknews_assets.ingest.articles import IngestLimits, ingest_partition
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.resources.embeddings import SentenceTransformerEmbedder
from asknews_assets.summaries import extractive_summary
from benchmarks._common import best_seconds

BUDGETS = (30, 60, 100, 150)
BATCH_SIZES = (4, 16, 64)  # the embedder's throughput by batch size, which sets its CPU default


def _texts(count: int) -> list[str]:
    """Summaries of the sample corpus's English texts (as ingested), cycling through the word budgets."""
    source = FileNewsSource(directory=str(settings.sample_corpus_dir()))
    articles = []
    for partition in source.list_partitions():
        for article in ingest_partition(source.read_partition(partition), partition, IngestLimits()).accepted:
            english = article.eng_text or (article.text if article.language == "en" else "")
            if english:
                articles.append((article.eng_title or article.title, english))
    texts = [extractive_summary(text, title, max_words=budget) for title, text in articles for budget in BUDGETS]
    return texts[:count]




def run(quick: bool = False) -> list[dict]:
    texts = _texts(48 if quick else 128)
    repeats = 3 if quick else 5
    embedder = SentenceTransformerEmbedder()
    embedder.embed(texts[:8])  # load and warm up the model
    model = embedder.encoder()  # the very model the embedder uses

    def naive() -> np.ndarray:
        return np.stack([model.encode(text, normalize_embeddings=True, show_progress_bar=False) for text in texts])

    def bare() -> np.ndarray:
        return model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, show_progress_bar=False)

    difference = float(np.abs(embedder.embed(texts) - bare()).max())
    timed = best_seconds({"naive": naive, "bare": bare, "embedder": lambda: embedder.embed(texts)}, repeats)
    naive_s, bare_s, embedder_s = timed["naive"], timed["bare"], timed["embedder"]
    rate = len(texts) / embedder_s
    words = sum(len(t.split()) for t in texts) / len(texts)
    naive_ratio, bare_ratio = naive_s / embedder_s, bare_s / embedder_s
    bare_passed = bare_ratio >= 0.9
    by_batch = best_seconds(
        {size: (lambda size=size: embedder.model_copy(update={"batch_size": size}).embed(texts)) for size in BATCH_SIZES},
        repeats,
    )

    def row(figure: str, value: float, target: str | None = None, ratio: float | None = None, passed: bool = True):
        return {"benchmark": "embedding", "figure": figure, "value": value, "target": target, "ratio": ratio,
                "passed": passed}  # fmt: skip

    return [
        row(f"texts (mean {words:.0f} words)", len(texts)),
        row("naive encode loop, texts/s", round(len(texts) / naive_s, 1)),
        row("bare batched encode, texts/s", round(len(texts) / bare_s, 1)),
        row("embedder vs naive loop, texts/s", round(rate, 1), None, round(naive_ratio, 2)),
        row("embedder vs bare encode, texts/s", round(rate, 1), ">= 0.9x bare", round(bare_ratio, 3), bare_passed),
        row("max |embedder - bare| per component", difference, "<= 1e-4", passed=difference <= 1e-4),
        *[
            row(f"embedder at batch {size} vs naive loop, texts/s", round(len(texts) / seconds, 1), None,
                round(naive_s / seconds, 2))  # fmt: skip
            for size, seconds in by_batch.items()
        ],
    ]


if __name__ == "__main__":
    from benchmarks.__main__ import main  # its table printer

    sys.exit(main(["embedding", *sys.argv[1:]]))
