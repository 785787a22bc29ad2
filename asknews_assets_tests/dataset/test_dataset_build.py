"""build_dataset, the dataset step without Dagster: splits, export content, manifest and per-split counts."""

import numpy as np
import pandas as pd

from asknews_assets.annotation import Annotation, Mention, annotated_record
from asknews_assets.dataset.build import DatasetInputs, build_dataset, per_split_counts
from asknews_assets.dataset.export import ALL_SPLITS, HELDOUT, TRAIN
from asknews_assets.dataset.splits import SplitSettings

TYPES = ["person", "city"]
N = 40
COVERAGE = pd.DataFrame(
    [{"country": "FR", "language": "fr", "read": 30, "accepted": 25, "rejected": 5, "translated": 24, "embedded": 20},
     {"country": "DE", "language": "de", "read": 20, "accepted": 20, "rejected": 0, "translated": 20, "embedded": 20}]
)  # fmt: skip


def _annotated(n: int = N, text: str = "Ada met Bob in Paris") -> pd.DataFrame:
    rows = []
    for i in range(n):
        country, language = ("FR", "fr") if i % 2 else ("DE", "de")
        article = {"article_id": f"a{i:02d}", "country": country, "language": language, "topic_id": i % 5,
                   "topic_label": f"topic {i % 5}", "pub_date": None}  # fmt: skip
        mentions = (Mention("Ada", "person"), Mention("Paris", "city"))
        rows.append(
            annotated_record(article, f"{text} {i}.", Annotation(article["article_id"], mentions), TYPES,
                             backend="spacy", model="sm", prompt_version=None)  # fmt: skip
        )
    return pd.DataFrame(rows)


def _embeddings(annotated: pd.DataFrame) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    vectors = {a: rng.normal(size=8).astype(np.float32) for a in annotated["article_id"]}
    vectors["a01"] = vectors["a00"] + np.float32(1e-4)  # near-duplicates, of different topics
    return vectors


def _inputs(annotated=None, **fields) -> DatasetInputs:
    annotated = _annotated() if annotated is None else annotated
    return DatasetInputs(annotated=annotated, coverage=COVERAGE, **fields)


SETTINGS = SplitSettings(heldout_topics=1, seed=3)


def test_the_same_inputs_give_the_same_version_and_other_text_another():
    first, again = build_dataset(_inputs(), SETTINGS), build_dataset(_inputs(), SETTINGS)
    assert first.version == again.version and first.version.startswith("v-") and first.manifest == again.manifest
    assert build_dataset(_inputs(_annotated(text="Ada met Bob in Rome")), SETTINGS).version != first.version


def test_every_article_in_one_split_listed_with_the_version():
    build = build_dataset(_inputs(), SETTINGS)
    rows = build.assignments()
    assert sorted(r["article_id"] for r in rows) == sorted(_annotated()["article_id"]) and {r["version"] for r in rows} == {build.version}
    assert {name: len(frame) for name, frame in build.frames.items()} == build.manifest["splits"]
    assert {name: len(rows_) for name, rows_ in build.document.items()} == build.manifest["splits"]
    assert all(build.manifest["splits"][name] > 0 for name in ALL_SPLITS)
    (heldout,) = build.split.heldout_topics
    assert build.manifest["heldout_topics"] == [{"topic_id": heldout, "topic_label": f"topic {heldout}"}]
    assert {r["metadata"]["topic"] for r in build.document[HELDOUT]} == {f"topic {heldout}"}


def test_near_duplicates_share_a_split_and_articles_without_embedding_are_counted():
    annotated = _annotated()
    embeddings = _embeddings(annotated)
    del embeddings["a39"]
    models = dict.fromkeys(embeddings, "mini")
    build = build_dataset(_inputs(annotated, embeddings=embeddings, embedding_models=models), SETTINGS)
    split_of = build.split.assignments
    assert split_of["a00"] == split_of["a01"] and build.split.heldout_topics == [4]
    assert build.manifest["articles_without_embedding"] == 1 and build.manifest["near_duplicate_groups"] == 1
    assert build.manifest["provenance"]["embedding"] == [{"model": "mini", "documents": N - 1}]
    # With a00's topic held out, its twin of another topic can go nowhere: left out, with the reason.
    held = build_dataset(_inputs(annotated, embeddings=embeddings), SplitSettings(heldout_topics=1, seed=11))
    assert held.split.heldout_topics == [0] and held.split.assignments["a00"] == HELDOUT
    assert held.manifest["excluded"] == {"a01": "near_duplicate_of_heldout_topic"} and "a01" not in held.split.assignments


def test_the_manifest_records_what_the_dataset_was_built_from():
    diversity = pd.DataFrame([{"metric": "topic_entropy", "sample": 0.9, "random_baseline": np.nan, "best_possible": 1.0}])
    quality = pd.DataFrame([{"part": "all", "f1": 0.5, "precision": np.nan}])
    unroutable = pd.DataFrame([{"location": "nl/NL.jsonl", "language": "nl", "reason": "unsupported_language", "records": 4}])
    licenses = {f"a{i:02d}": "cc-by-4.0" for i in range(10)}
    build = build_dataset(
        _inputs(diversity=diversity, quality=quality, unroutable=unroutable, licenses=licenses, source_backends=["files"],
                entity_types=["person", "city", "country"]),
        SETTINGS,
    )  # fmt: skip
    manifest = build.manifest
    assert manifest["entity_types"] == ["person", "city", "country"]
    assert manifest["diversity"] == [{"metric": "topic_entropy", "sample": 0.9, "random_baseline": None, "best_possible": 1.0}]
    assert manifest["annotation_quality"] == [{"part": "all", "f1": 0.5, "precision": None}]
    assert manifest["licenses"] == build.licenses == {"cc-by-4.0": 10, "unknown": N - 10}
    assert manifest["source_backends"] == ["files"]
    assert manifest["supply"]["fr"] == {"read": 30, "accepted": 25, "rejected": 5, "unroutable": 0, "untranslated": 1, "embedded": 20}
    assert manifest["supply"]["nl"]["unroutable"] == 4
    assert manifest["split_config"] == {"train": 0.8, "validation": 0.1, "test": 0.1, "heldout_topics": 1,
                                        "heldout_topic_share": 0.1, "seed": 3, "near_duplicate_threshold": 0.95}  # fmt: skip
    assert manifest["n_entities"] == 2 * N and manifest["counts"]["entity_type"] == {"person": N, "city": N}


def test_without_a_recorded_schema_the_types_are_those_the_rows_use():
    assert build_dataset(_inputs(), SETTINGS).manifest["entity_types"] == ["city", "person"]


def test_per_split_counts_pivot_values_by_split_most_frequent_first():
    rows = per_split_counts({TRAIN: ["fr", "de", "fr"], HELDOUT: ["de", "de"]}, "language")
    assert rows == [
        {"language": "de", "train": 1, "validation": 0, "test": 0, "test_heldout_topics": 2, "total": 3},
        {"language": "fr", "train": 2, "validation": 0, "test": 0, "test_heldout_topics": 0, "total": 2},
    ]
    build = build_dataset(_inputs(), SETTINGS)
    (person,) = [r for r in build.per_split("entity_type") if r["entity_type"] == "person"]
    assert person["total"] == N and person[TRAIN] == build.manifest["splits"][TRAIN]
    assert sum(r["total"] for r in build.per_split("country")) == N


def test_a_split_without_share_stays_empty_but_is_exported():
    build = build_dataset(_inputs(), SplitSettings(train=0.5, validation=0.5, test=0.0, heldout_topics=0))
    assert build.manifest["splits"]["test"] == 0 and build.document["test"] == [] and set(build.frames) == set(ALL_SPLITS)
