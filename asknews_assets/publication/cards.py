"""Dataset and model cards: YAML front matter in the Hub's conventions and a body built from the data.

Every figure on a card comes from the manifest, the published shards or the evaluation table, so a
card cannot drift from what it describes. Every value that comes from a source, a model or the
configuration is escaped where it is rendered (`publication.markup`; table cells by `markdown_table`).
A card holds nothing that changes when the same content is built again (no build time), so a
version's card is the same bytes on every run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml

from asknews_assets.models.benchmarks import ZERO_SHOT_BENCHMARKS
from asknews_assets.metadata import markdown_table
from asknews_assets.publication.markup import Markup, code_span, escape_html, escape_markdown
from asknews_assets.partitions import country_names
from asknews_assets.publication.licenses import DatasetLicense
from asknews_assets.publication.naming import is_hub_repo_id
from asknews_assets.sample.diversity import LOWER_IS_BETTER

# Fine-tuned models keep the licence of the GLiNER base models (urchade/gliner_*-v2.1: Apache-2.0);
# the dataset's licence comes from its sources (publication.licenses).
MODEL_LICENSE = "apache-2.0"
# The documents are English: non-English articles are translated before they are summarised.
TEXT_LANGUAGE = "en"
NO_LIMIT = 10**9  # rows of a card table: cards show every row

MODEL_LIMITATIONS = """## Training data and limitations

Trained on machine-translated, machine-summarised and machine-annotated news (see the dataset card for how
it was made and its limitations). The model sees English text; entity types are free-form labels at inference."""


@dataclass(frozen=True)
class SplitSummary:
    """One published split, counted from its shards."""

    name: str
    documents: int
    entities: int
    tokens: int
    shards: tuple[str, ...]


def render_card(front_matter: Mapping[str, Any], body: str) -> str:
    """README.md text: `---`-fenced YAML metadata, then the Markdown body."""
    header = yaml.safe_dump(dict(front_matter), sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{body.strip()}\n"


def parse_card(text: str) -> tuple[dict[str, Any], str]:
    """The front matter and body of a card written by `render_card`."""
    if not text.startswith("---\n"):
        return {}, text
    header, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(header) or {}, body.lstrip("\n")


def size_category(n: int) -> str:
    """The Hub's `size_categories` bucket of a dataset with n examples."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]  # fmt: skip
    return next((label for bound, label in bounds if n < bound), "n>1B")


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    return markdown_table(rows, max_rows=NO_LIMIT, width=200)


def _share(count: int, total: int) -> str:
    return f"{count / total:.1%}" if total else "-"


def _counts_rows(counts: Mapping[str, int], label: str, unit: str, names: Mapping[str, str] | None = None) -> list[dict]:
    total = sum(counts.values())
    rows = []
    for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        row = {label: value, **({"name": names.get(value, "")} if names is not None else {})}
        rows.append({**row, unit: count, "share": _share(count, total)})
    return rows


def describe_provenance(value: Any) -> str:
    """One step's backends and models as the manifest records them (lists of {backend, model, ..., documents}),
    as plain text for a table cell (which escapes it)."""
    if value is None or value == [] or value == {}:
        return "not recorded"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "; ".join(describe_provenance(item) for item in value)
    if isinstance(value, Mapping):
        parts = [f"{key} {item}" for key, item in value.items() if key != "documents" and item not in (None, "")]
        documents = f" ({value['documents']} documents)" if "documents" in value else ""
        return (", ".join(parts) or "not recorded") + documents
    return str(value)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) and math.isfinite(value) else str(value)


def diversity_rows(diversity: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in diversity:
        metric, sample, baseline = item.get("metric"), item.get("sample"), item.get("random_baseline")
        row = {"metric": metric, "this dataset": _fmt(sample), "random sample": _fmt(baseline)}
        if item.get("best_possible") is not None:
            row["best possible"] = _fmt(item["best_possible"])
        if isinstance(sample, (int, float)) and isinstance(baseline, (int, float)):
            better = sample < baseline if metric in LOWER_IS_BETTER else sample > baseline
            row["vs random"] = "tied" if sample == baseline else ("better" if better else "worse")
        rows.append(row)
    return rows


def annotation_quality_section(rows: Sequence[Mapping[str, Any]]) -> str:
    """The annotator's precision, recall and F1 on the hand-annotated gold set, saying which
    annotator the figures belong to (they describe the labels only if it is the one that made them)."""
    if not rows:
        return "Not measured: the annotator was not scored against the gold set for this version."
    first = rows[0]
    table = [
        {
            "gold documents": r.get("part"),
            "documents": r.get("documents"),
            "precision": _fmt(r.get("precision")),
            "recall": _fmt(r.get("recall")),
            "F1": _fmt(r.get("f1")),
            "boundary errors": r.get("boundary_errors"),
            "type errors": r.get("type_errors"),
            "spurious": r.get("spurious_errors"),
            "missed": r.get("missed_errors"),
        }
        for r in rows
    ]
    return (
        f"Exact-match micro scores of the annotator that labelled this data, `{first.get('annotation_backend')}`"
        f" (`{first.get('annotation_model')}`), on a hand-annotated gold set of English news texts"
        f" ({first.get('gold_set')}, shipped with asknews-assets; `heldout` is the part no annotation rule was developed on):\n\n"
        + _table(table)
    )


def dataset_front_matter(splits: Sequence[SplitSummary], license: DatasetLicense) -> dict[str, Any]:
    licence = {"license": license.license}
    if license.license == "other":
        licence.update(license_name=license.name, license_link="LICENSE")  # the Hub's fields for a licence off its list
    return {
        **licence,
        "language": [TEXT_LANGUAGE],
        "multilinguality": ["monolingual"],
        "size_categories": [size_category(sum(s.documents for s in splits))],
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["found", "machine-generated"],
        "pretty_name": "AskNews-NER",
        "tags": ["news", "ner", "gliner", "synthetic"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": s.name, "path": f"data/{s.name}-*"} for s in splits],
            }
        ],
    }


def dataset_intro(
    version: str, tag: str, manifest: Mapping[str, Any], splits: Sequence[SplitSummary], published_between: tuple[str, str] | None
) -> str:
    counts = manifest.get("counts", {})
    languages, countries, topics = counts.get("language", {}), counts.get("country", {}), counts.get("topic", {})
    types_used = sum(1 for n in counts.get("entity_type", {}).values() if n)
    window = f", published between {published_between[0]} and {published_between[1]}" if published_between else ""
    return f"""# AskNews-NER ({escape_markdown(version)})

{sum(s.documents for s in splits)} English news summaries with {sum(s.entities for s in splits)} grounded entity annotations of {types_used} types
(from a schema of {len(_entity_types(manifest))}),
for training span-based NER models such as GLiNER. The articles come from {len(countries)} countries in
{len(languages)} languages{window}, and cover {len(topics)} topics. It reproduces the AskNews-NER recipe:
translate, summarise, cluster into topics, sample for diversity, then annotate with an LLM or NER model.

Version {code_span(version)} (tag {code_span(tag)}), built by the asknews-assets pipeline."""


def _entity_types(manifest: Mapping[str, Any]) -> list[str]:
    """The schema's entity types: as the manifest lists them, else those counted."""
    return manifest.get("entity_types") or sorted(manifest.get("counts", {}).get("entity_type", {}))


def provenance_section(manifest: Mapping[str, Any]) -> str:
    provenance = manifest.get("provenance", {})
    steps = [
        {"step": "ingestion", "what": "news articles per country x language, validated, cleaned of feed artefacts and deduplicated", "backends and models": Markup(", ".join(f"source {code_span(b)}" for b in manifest.get("source_backends", []))) or "-"},
        {"step": "translation", "what": "non-English articles translated to English", "backends and models": describe_provenance(provenance.get("translation"))},
        {"step": "summary", "what": "English summaries that keep the named entities", "backends and models": describe_provenance(provenance.get("summary"))},
        {"step": "embedding and topics", "what": "articles embedded and clustered into topics", "backends and models": describe_provenance(provenance.get("embedding"))},
        {"step": "diversified sample", "what": "sampled so topics, countries, languages and dates are spread (see below)", "backends and models": "-"},
        {"step": "annotation", "what": f"entities of {len(_entity_types(manifest))} types extracted and grounded in the text", "backends and models": describe_provenance(provenance.get("annotation"))},
        {"step": "splits", "what": "train / validation / test stratified by topic and language; held-out topics for a second test", "backends and models": "-"},
    ]  # fmt: skip
    return f"## How it was made\n\n{_table(steps)}"


def splits_section(manifest: Mapping[str, Any], splits: Sequence[SplitSummary]) -> str:
    split_rows = [
        {"split": s.name, "documents": s.documents, "entities": s.entities, "tokens": s.tokens, "shards": len(s.shards)}
        for s in splits
    ]
    heldout = [t.get("topic_label") or f"topic {t.get('topic_id')}" for t in manifest.get("heldout_topics", [])]
    return f"""## Splits

{_table(split_rows)}

Held-out topics (only in `test_heldout_topics`, never in train): {", ".join(code_span(t) for t in heldout) or "none"}."""


def supply_section(manifest: Mapping[str, Any]) -> str:
    return f"""## Supply

What the news source supplied, by the language it was filed under: records read, accepted, rejected
(with a reason, in `raw_article_rejects`), unroutable (in a language or file the pipeline does not
read), accepted but never translated (untranslated: no English to be had, or a partial build without
their partition), and embedded (the pool the dataset is sampled from).

{_table(supply_rows(manifest.get("supply")))}"""


def distribution_sections(counts: Mapping[str, Mapping[str, int]]) -> str:
    """Documents by language, country and topic, and entities by type."""
    return f"""## Languages of the source articles

{_table(_counts_rows(counts.get("language", {}), "language", "documents"))}

## Countries

{_table(_counts_rows(counts.get("country", {}), "country", "documents", country_names()))}

## Topics

{_table(_counts_rows(counts.get("topic", {}), "topic", "documents"))}

## Entity types

{_table(_counts_rows(counts.get("entity_type", {}), "entity type", "entities"))}"""


def diversity_section(diversity: Sequence[Mapping[str, Any]]) -> str:
    return f"""## Diversity against a random sample

The sample's spread over topics, countries and languages, next to a random sample of the same size
drawn from the same articles (entropies and coverages: higher is better; `largest_topic_share`: lower is better).

{_table(diversity_rows(diversity))}"""


def grounding_section(manifest: Mapping[str, Any]) -> str:
    ungrounded = float(manifest.get("ungrounded_rate") or 0.0)
    unattested = float(manifest.get("unattested_rate") or 0.0)
    unattested_rows = [
        {"annotator": f"{r['backend']} ({r['model']})", "documents": r["documents"], "unattested entities": r["n_unattested"],
         "unattested rate": f"{float(r['unattested_rate']):.1%}"}
        for r in manifest.get("unattested_by_backend", [])
    ]  # fmt: skip
    return f"""## Grounding

{ungrounded:.1%} of the entities the annotator proposed could not be located in the text (ungrounded)
and are not in the data; every published span points at tokens of its document.

The annotator reads the summary, and a summary may name what its article does not. Every entity is
also looked for in the article's English text (the source's English or the translation): {unattested:.1%}
of the entities found in the summaries do not occur there (unattested) and were dropped.

{_table(unattested_rows) if unattested_rows else ""}"""


def coverage_skews(counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    """For language, country and topic: the share of documents its largest value holds."""
    skews = []
    for label in ("language", "country", "topic"):
        if values := counts.get(label, {}):
            top, top_count = max(values.items(), key=lambda item: item[1])
            skews.append(f"the largest {label} ({code_span(top)}) holds {_share(top_count, sum(values.values()))} of the documents")
    return skews


def dataset_limitations_section(manifest: Mapping[str, Any]) -> str:
    ungrounded = float(manifest.get("ungrounded_rate") or 0.0)
    return f"""## Limitations

- The text is machine-translated and machine-summarised, and the entities are machine-annotated with no human
  review: errors of those models carry over into the labels.
- Coverage is uneven: {"; ".join(coverage_skews(manifest.get("counts", {}))) or "no counts recorded"}.
- {ungrounded:.1%} of proposed entities were dropped as ungrounded, so entities the annotator described loosely
  are missing (recall of the labels is below that of the annotator).
- News reflects the period it was collected in; topics and entities date quickly."""


def dataset_usage_section(repo_id: str, tag: str) -> str:
    return f"""## Usage

```python
from datasets import load_dataset

dataset = load_dataset("{repo_id}", revision="{tag}")
row = dataset["train"][0]
row["tokenized_text"], row["ner"]  # tokens, and spans {{start, end (inclusive), label}} over them
```

Each row holds `tokenized_text` (tokens), `ner` (token spans with an inclusive end and a label) and
`metadata` (`source_country`, `article_language`, `article_pubDate`, `topic`, `articleId`)."""


def dataset_card(
    *,
    repo_id: str,
    version: str,
    tag: str,
    manifest: Mapping[str, Any],
    splits: Sequence[SplitSummary],
    license: DatasetLicense,
    published_between: tuple[str, str] | None = None,
) -> str:
    """The dataset card: the front matter, then one section after another, each built from its data."""
    counts = manifest.get("counts", {})
    sections = [
        dataset_intro(version, tag, manifest, splits, published_between),
        provenance_section(manifest),
        splits_section(manifest, splits),
        supply_section(manifest),
        distribution_sections(counts),
        diversity_section(manifest.get("diversity", [])),
        f"## Annotation quality\n\n{annotation_quality_section(manifest.get('annotation_quality') or [])}",
        grounding_section(manifest),
        dataset_limitations_section(manifest),
        dataset_usage_section(repo_id, tag),
        f"## License\n\n{license_text(license)}",
    ]
    return render_card(dataset_front_matter(splits, license), "\n\n".join(sections))


def supply_rows(supply: Mapping[str, Mapping[str, int]] | None) -> list[dict[str, Any]]:
    """The manifest's supply by language as card rows, with a total row ('not recorded' if absent)."""
    if not supply:
        return [{"supply": "not recorded for this version"}]
    columns = ("read", "accepted", "rejected", "unroutable", "untranslated", "embedded")
    rows = [{"language": language, **{c: int(values.get(c, 0)) for c in columns}} for language, values in supply.items()]
    return [*rows, {"language": "total", **{c: sum(r[c] for r in rows) for c in columns}}]


def license_text(license: DatasetLicense) -> str:
    """The card's licence section: the licence, and each source licence with its share of documents."""
    mixed = len(license.documents_by_license) > 1
    lines = [
        f"`{license.name}`: " + (
            "the most restrictive licence of the source articles; they carry these licences:" if mixed
            else "the licence of every source article." if license.name in license.documents_by_license
            else "the configured dataset licence; the source articles carry:"
        )  # fmt: skip
    ]
    if mixed or license.name not in license.documents_by_license:
        lines.append("")
        lines.append(_table(_counts_rows(license.documents_by_license, "source licence", "documents")))
    return "\n".join(lines)


def _per_type(value: Any) -> dict[str, float]:
    """F1 per entity type from the evaluation table's per_type JSON ({type: {f1: ...}} or {type: f1})."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    if not isinstance(parsed, Mapping):
        return {}
    scores = {}
    for label, item in parsed.items():
        score = item.get("f1") if isinstance(item, Mapping) else item
        if isinstance(score, (int, float)):
            scores[str(label)] = float(score)
    return scores


def evaluation_comparison(evaluations: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark: base and fine-tuned precision, recall, F1 and the F1 change; the zero-shot
    sets first, in the literature's order, then the others by name."""
    wide = evaluations.pivot_table(
        index="benchmark", columns="model", values=["precision", "recall", "f1", "n_docs"], aggfunc="first"
    )
    if not {"base", "finetuned"} <= set(wide.columns.get_level_values("model")):
        raise ValueError("the evaluation table needs rows for both the 'base' and the 'finetuned' model")
    table = pd.DataFrame(
        {
            "benchmark": wide.index,
            "documents": wide[("n_docs", "finetuned")].astype(int).to_numpy(),
            **{f"{m} {s}": wide[(s, m)].to_numpy() for m in ("base", "finetuned") for s in ("precision", "recall", "f1")},
        }
    ).reset_index(drop=True)
    table["f1 change"] = table["finetuned f1"] - table["base f1"]
    order = {name: rank for rank, name in enumerate(ZERO_SHOT_BENCHMARKS)}
    table = table.iloc[sorted(range(len(table)), key=lambda i: (order.get(table["benchmark"][i], len(order)),
                                                                 table["benchmark"][i]))]  # fmt: skip
    return table.dropna(subset=["base f1", "finetuned f1"]).reset_index(drop=True)


def benchmark_title(name: str) -> str:
    """A benchmark's name as the literature writes it (CrossNER_AI -> CrossNER AI), else as it is."""
    return ZERO_SHOT_BENCHMARKS.get(name, name)


def zero_shot_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    return comparison[comparison["benchmark"].isin(list(ZERO_SHOT_BENCHMARKS))]


def model_front_matter(
    *, repo_id: str, base_model: str, dataset_repo_id: str, comparison: pd.DataFrame
) -> dict[str, Any]:
    """The Hub's metadata, `model-index` included (one result per benchmark: the fine-tuned model's
    precision, recall and F1 on its test split), built with huggingface_hub's card data classes."""
    from huggingface_hub import EvalResult, ModelCardData

    results = [
        EvalResult(
            task_type="token-classification",
            task_name="Named Entity Recognition",
            dataset_type=row["benchmark"],
            dataset_name=benchmark_title(row["benchmark"]),
            dataset_split="test",
            metric_type=metric,
            metric_name="F1" if metric == "f1" else metric.capitalize(),
            metric_value=round(float(row[f"finetuned {metric}"]), 4),
        )
        for row in comparison.to_dict("records")
        for metric in ("precision", "recall", "f1")
    ]
    card_data = ModelCardData(
        model_name=repo_id.split("/")[1],
        library_name="gliner",
        license=MODEL_LICENSE,
        language=[TEXT_LANGUAGE],
        pipeline_tag="token-classification",
        # A local folder (the offline base) is no Hub reference.
        base_model=base_model if is_hub_repo_id(base_model) else None,
        datasets=[dataset_repo_id],
        tags=["gliner", "named-entity-recognition", "ner", "news"],
        eval_results=results,
    )
    return card_data.to_dict()


def _pct(value: float) -> str:
    return f"{value:.1%}"


def evaluation_table_rows(comparison: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per benchmark, then the average F1 over the zero-shot sets (if any) and over all."""
    rows = [
        {
            "benchmark": benchmark_title(row["benchmark"]),
            "documents": row["documents"],
            **{f"{m} {s}": _pct(row[f"{m} {s}"]) for m in ("base", "finetuned") for s in ("precision", "recall", "f1")},
            "F1 change": f"{row['f1 change'] * 100:+.1f} pt",
        }
        for row in comparison.to_dict("records")
    ]
    zero_shot = zero_shot_rows(comparison)
    averages = [(f"all {len(comparison)} benchmarks", comparison)]
    if not zero_shot.empty:  # the headline of the literature: the mean F1 over the seven zero-shot sets
        sets = "7 sets" if len(zero_shot) == len(ZERO_SHOT_BENCHMARKS) else f"{len(zero_shot)} of 7 sets"
        averages.insert(0, (f"zero-shot, {sets}", zero_shot))
    for label, part in averages:
        rows.append(
            {"benchmark": Markup(f"**Average ({label})**"), "documents": int(part["documents"].sum()),
             "base f1": _pct(part["base f1"].mean()), "finetuned f1": _pct(part["finetuned f1"].mean()),
             "F1 change": f"{part['f1 change'].mean() * 100:+.1f} pt"}  # fmt: skip
        )
    return rows


def zero_shot_note(comparison: pd.DataFrame) -> str:
    zero_shot = zero_shot_rows(comparison)
    if zero_shot.empty:
        return ""
    return (
        f" Over the zero-shot sets of the literature"
        f" ({', '.join(escape_markdown(benchmark_title(b)) for b in zero_shot['benchmark'])}):"
        f" base {_pct(zero_shot['base f1'].mean())}, this model {_pct(zero_shot['finetuned f1'].mean())}."
    )


def per_type_sections(evaluations: pd.DataFrame) -> str:
    """Per benchmark, a folded table of F1 per entity type of the base and the fine-tuned model."""
    sections = []
    for benchmark, group in evaluations.groupby("benchmark", sort=True):
        scores = {model: _per_type(group.loc[group["model"] == model, "per_type"].iloc[0])
                  for model in ("base", "finetuned") if (group["model"] == model).any()}  # fmt: skip
        labels = sorted(set().union(*scores.values())) if scores else []
        if labels:
            table = _table([{"entity type": label, **{f"{m} f1": _pct(s[label]) if label in s else "-" for m, s in scores.items()}}
                            for label in labels])  # fmt: skip
            title = benchmark_title(benchmark)
            sections.append(f"<details><summary>{escape_html(title)}</summary>\n\n{table}\n\n</details>")
    return "\n".join(sections)


def model_intro(
    *, variant: str, model_version: str, tag: str, base_model: str, dataset_repo_id: str, data_version: str, data_tag: str
) -> str:
    # Links relative to the Hub's root, so they work on whichever Hub the model is published to.
    base_reference = f"[{code_span(base_model)}](/{base_model})" if is_hub_repo_id(base_model) else code_span(base_model)
    return f"""# GLiNER {escape_markdown(variant)}, fine-tuned on AskNews-NER

A [GLiNER](https://github.com/urchade/GLiNER) model for zero-shot named-entity recognition: {base_reference}
fine-tuned on [{code_span(dataset_repo_id)}](/datasets/{dataset_repo_id}) version {code_span(data_version)}
(revision {code_span(data_tag)}), English news summaries from many countries and languages with grounded entity labels.

Model version {code_span(model_version)} (tag {code_span(tag)})."""


def model_evaluation_section(comparison: pd.DataFrame, evaluations: pd.DataFrame) -> str:
    mean_change = float(comparison["f1 change"].mean())
    best = comparison.loc[comparison["f1 change"].idxmax()]
    return f"""## Evaluation

Precision, recall and F1 (micro, exact span and type, threshold 0.5, flat NER) of the base model and of this
model on each benchmark's test split, from the pipeline's `model_evaluation` step, with each benchmark's own
label set in natural-language names. Average F1 change: **{mean_change * 100:+.1f} points** over
{len(comparison)} benchmarks (largest: {best["f1 change"] * 100:+.1f} points on {code_span(best["benchmark"])}).{zero_shot_note(comparison)}

{_table(evaluation_table_rows(comparison))}

{per_type_sections(evaluations)}"""


def model_usage_section(repo_id: str, tag: str) -> str:
    return f"""## Usage

```python
from gliner import GLiNER

model = GLiNER.from_pretrained("{repo_id}", revision="{tag}")
text = "The European Central Bank kept rates unchanged in Frankfurt on Thursday, Christine Lagarde said."
for entity in model.predict_entities(text, ["person", "organization", "location", "date"], threshold=0.5):
    print(entity["text"], "=>", entity["label"])
```"""


def model_card(
    *,
    repo_id: str,
    variant: str,
    model_version: str,
    tag: str,
    base_model: str,
    dataset_repo_id: str,
    data_version: str,
    data_tag: str,
    evaluations: pd.DataFrame,
) -> str:
    """The model card: the Hub's metadata, then one section after another, each built from its data."""
    comparison = evaluation_comparison(evaluations)
    if comparison.empty:
        raise ValueError(f"no benchmark with both base and fine-tuned results for {repo_id} {model_version}")
    sections = [
        model_intro(variant=variant, model_version=model_version, tag=tag, base_model=base_model,
                     dataset_repo_id=dataset_repo_id, data_version=data_version, data_tag=data_tag),  # fmt: skip
        model_evaluation_section(comparison, evaluations),
        model_usage_section(repo_id, tag),
        MODEL_LIMITATIONS,
        "## License\n\nApache-2.0.",
    ]
    return render_card(
        model_front_matter(repo_id=repo_id, base_model=base_model, dataset_repo_id=dataset_repo_id, comparison=comparison),
        "\n\n".join(sections),
    )
