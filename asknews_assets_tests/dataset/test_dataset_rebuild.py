"""The dataset stages on the real path: entities the article does not hold are dropped and reported
per backend (class 6), and building unchanged inputs again changes no byte and publishes nothing new
(class 10)."""

from __future__ import annotations

import json
import re

from dagster import AssetKey, materialize

from asknews_assets.assets.annotation import annotated_articles
from asknews_assets.assets.dataset import dataset_splits
from asknews_assets.llm import ChatEndpoint
from asknews_assets.publication.local import read_refs
from asknews_assets.publication.staging import stage_dataset
from asknews_assets.resources.annotation import LLMAnnotator
from asknews_assets.resources.publication import LocalFolderPublisher
from asknews_assets_tests.support.fakes import Answer, FakeOpenAIServer
from asknews_assets_tests.support.fakes.upstream import PEOPLE, PLACES, seeded  # noqa: F401 (fixture)

NAMES = [(name, "person") for name in PEOPLE] + [(name, "city") for name in PLACES]


def _names_in(body) -> Answer:
    """An annotator that lists every known name the summary holds (it reads the summary only)."""
    text = body["messages"][-1]["content"].split("Text:")[-1]
    return Answer(json.dumps({"entities": [{"text": n, "type": t} for n, t in NAMES if n in text]}))


def _metadata(result, key):
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(key)]
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _record_licences(warehouse) -> None:
    """Publication needs each article's source licence, which ingest records in raw_articles."""
    with warehouse.get_connection() as conn:
        conn.execute("CREATE TABLE raw_articles AS SELECT country, language, article_id, 'Apache-2.0' AS license FROM diversified_sample")


def _snapshot(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_entities_absent_from_the_article_are_dropped_and_reported(seeded, data_dir, instance):  # noqa: F811
    _record_licences(seeded)
    # The summary of art-000 names Joe Biden; the article's English text does not (a summary that invents).
    with seeded.get_connection() as conn:
        conn.execute("UPDATE translated_articles SET text_en = 'Emmanuel Macron spoke in Paris about aid.' WHERE article_id = 'art-000'")
    with FakeOpenAIServer(responder=_names_in) as server:
        endpoint = ChatEndpoint(base_url=server.base_url, model="fake-llm", api_key_env="", max_retries=0)
        result = materialize(
            [annotated_articles, dataset_splits],
            resources={"annotator": LLMAnnotator(endpoint=endpoint, warehouse=seeded), "warehouse": seeded},
            instance=instance,
        )
    assert result.success
    with seeded.get_connection() as conn:
        row = conn.execute("SELECT tokenized_text, ner, n_unattested, unattested_mentions FROM annotated_articles WHERE article_id = 'art-000'").fetchone()
        others = conn.execute("SELECT sum(n_unattested) FROM annotated_articles WHERE article_id != 'art-000'").fetchone()[0]
    tokens, ner = row[0], json.loads(row[1])
    assert [" ".join(tokens[s : e + 1]) for s, e, _ in ner] == ["Emmanuel Macron", "Paris"]
    assert (row[2], json.loads(row[3]), others) == (1, ["Joe Biden"], 0)

    annotation = _metadata(result, "annotated_articles")
    assert annotation["n_unattested"] == 1 and 0 < annotation["unattested_rate"] < 0.05
    assert "Joe Biden" in annotation["most_common_unattested"]
    splits = _metadata(result, "dataset_splits")
    manifest = json.loads((data_dir / "datasets" / splits["dataset_version"] / "manifest.json").read_text())
    assert manifest["unattested_rate"] == splits["unattested_rate"] == annotation["unattested_rate"]
    (per_backend,) = manifest["unattested_by_backend"]
    assert (per_backend["backend"], per_backend["model"], per_backend["n_unattested"]) == ("llm", "fake-llm", 1)
    card = stage_dataset(data_dir / "datasets" / splits["dataset_version"], splits["dataset_version"], "acme/AskNews-NER", data_dir / "work").card
    assert re.search(r"\| llm \(fake-llm\) \| 41 \| 1 \| \d\.\d% \|", card)


def test_rebuilding_unchanged_inputs_changes_nothing_and_publishes_nothing_new(seeded, data_dir, instance, tmp_path):  # noqa: F811
    from asknews_assets.resources.annotation import SpacyAnnotator

    _record_licences(seeded)
    resources = {"annotator": SpacyAnnotator(), "warehouse": seeded}
    first = materialize([annotated_articles, dataset_splits], resources=resources, instance=instance)
    version = _metadata(first, "dataset_splits")["dataset_version"]
    folder = data_dir / "datasets" / version
    before = _snapshot(folder)
    publisher = LocalFolderPublisher(organization="acme", directory=str(tmp_path / "publish"))
    published = publisher.publish(stage_dataset(folder, version, publisher.dataset_repo_id, tmp_path / "w1").bundle)

    second = materialize([annotated_articles, dataset_splits], resources=resources, instance=instance)
    assert _metadata(second, "dataset_splits")["dataset_version"] == version
    assert _snapshot(folder) == before  # same bytes, and not even rewritten
    again = publisher.publish(stage_dataset(folder, version, publisher.dataset_repo_id, tmp_path / "w2").bundle)
    assert again.commit == published.commit and again.deleted == ()
    assert read_refs(tmp_path / "publish", publisher.dataset_repo_id)["tags"] == {version: published.commit}
