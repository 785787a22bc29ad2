"""The translated_articles asset and its checks, materialised over raw_articles in a temporary warehouse."""

import pytest
from dagster import AssetCheckSeverity, materialize

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.assets.translation import translated_articles
from asknews_assets.checks.translation import translated_articles_complete, translated_articles_language_matches
from asknews_assets.resources import build_resources
from asknews_assets.resources.translation import CTranslate2Translator, SourceProvidedTranslator
from asknews_assets.settings import Settings
from asknews_assets_tests.support.data.corpus import article, write_corpus
from asknews_assets_tests.support.models.tiny_marian import SPANISH, tiny_marian  # noqa: F401  (fixture)

ASSETS = [raw_articles, translated_articles, translated_articles_language_matches, translated_articles_complete]


def _corpus(tmp_path, records):
    return write_corpus(tmp_path / "source", {"es/MX.jsonl": records})


def _materialize(instance, warehouse, source, translator, measure_chrf=False, partition="es-MX", missing_english=None):
    instance.add_dynamic_partitions("article_pairs", [partition])
    config = {"measure_chrf": measure_chrf, **({"missing_english": missing_english} if missing_english else {})}
    return materialize(
        ASSETS,
        partition_key=partition,
        instance=instance,
        resources={"source": source, "warehouse": warehouse, "translator": translator},
        run_config={"ops": {"translated_articles": {"config": config}}},
        raise_on_error=False,
    )


def _table(warehouse):
    with warehouse.get_connection() as conn:
        return conn.execute("SELECT * FROM translated_articles ORDER BY article_id").df()


def _metadata(result):
    [materialization] = result.asset_materializations_for_node("translated_articles")
    return {key: value.value for key, value in materialization.metadata.items()}


def _checks(result):
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def test_source_provided_english_with_a_language_mismatch_recorded(tmp_path, instance, warehouse):
    source = _corpus(
        tmp_path,
        [
            article("mx-1"),
            article("mx-2", text="La ciudad de Monterrey sufre una sequía sin precedentes y raciona el agua."),
            # Declared Spanish, written in English: kept, flagged.
            article("mx-3", text="The city of Monterrey suffers an unprecedented drought and rations water."),
        ],
    )
    result = _materialize(instance, warehouse, source, SourceProvidedTranslator())
    assert result.success

    table = _table(warehouse)
    assert list(table.columns) == [
        "country", "language", "article_id", "title_en", "text_en", "translation_backend", "translation_model",
        "chrf", "detected_language", "language_confidence", "language_matches",
    ]  # fmt: skip
    assert table["article_id"].tolist() == ["mx-1", "mx-2", "mx-3"]
    assert table["title_en"].tolist() == ["Headline mx-1", "Headline mx-2", "Headline mx-3"]
    assert table["text_en"][0] == "Article mx-1 tells a different story about the city of Monterrey."
    assert set(table["translation_backend"]) == {"source-provided"} and table["chrf"].isna().all()
    assert table["language_matches"].tolist() == [True, True, False]
    assert table["detected_language"][2] == "en"

    metadata = _metadata(result)
    assert metadata["dagster/row_count"] == 3 and metadata["source_provided"] == 3
    assert metadata["machine_translated"] == 0 and metadata["backend"] == "source-provided"
    assert metadata["language_mismatches"] == 1 and "corpus_chrf" not in metadata

    checks = _checks(result)
    language = checks["translated_articles_language_matches"]
    assert not language.passed and language.severity == AssetCheckSeverity.WARN
    assert language.metadata["mismatching_article_ids"].value == ["mx-3"]
    assert checks["translated_articles_complete"].passed

    # Materialising again replaces the partition's rows.
    assert _materialize(instance, warehouse, source, SourceProvidedTranslator()).success
    assert len(_table(warehouse)) == 3


def test_ctranslate2_fallback_and_chrf(tmp_path, instance, warehouse, tiny_marian):  # noqa: F811
    source = _corpus(
        tmp_path,
        [
            article("mx-1", text=f"{SPANISH[0]} {SPANISH[1]}"),
            article("mx-2", text=SPANISH[2]),
            article("mx-3", text=f"{SPANISH[3]}\n{SPANISH[4]}", eng_title=None, eng_text=None),
        ],
    )
    fallback = CTranslate2Translator(
        models={"es": str(tiny_marian)}, cache_dir=str(tmp_path / "ct2"), beam_size=1, max_decoding_length=8
    )
    result = _materialize(instance, warehouse, source, SourceProvidedTranslator(fallback=fallback), measure_chrf=True)
    assert result.success

    table = _table(warehouse)
    assert table["translation_backend"].tolist() == ["source-provided", "source-provided", "ctranslate2"]
    assert table["translation_model"].tolist() == [str(tiny_marian)] * 3
    assert table["chrf"][:2].between(0, 100).all() and table["chrf"].isna().tolist() == [False, False, True]
    assert table["text_en"][0].startswith("Article mx-1")
    machine_text = table["text_en"][2]
    assert machine_text == "\n".join(fallback.translate_texts([SPANISH[3], SPANISH[4]], "es"))

    metadata = _metadata(result)
    assert (metadata["source_provided"], metadata["machine_translated"], metadata["chrf_articles"]) == (2, 1, 2)
    assert 0 <= metadata["corpus_chrf"] <= 100
    assert metadata["models"] == str(tiny_marian) and metadata["backend"] == "source-provided+ctranslate2"
    assert _checks(result)["translated_articles_complete"].passed


def test_missing_english_without_fallback_fails_naming_the_setting(tmp_path, instance, warehouse):
    source = _corpus(tmp_path, [article("mx-1"), article("mx-2", eng_text=None)])
    result = _materialize(instance, warehouse, source, SourceProvidedTranslator())
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error.cause
    assert error.cls_name == "SourceEnglishMissing"
    # Settings a user can really set: the environment variable and the asset's run config.
    assert "ASKNEWS_MISSING_ENGLISH" in error.message and "missing_english" in error.message and "mx-2" in error.message


@pytest.mark.parametrize("how", ["run config", "environment"])
def test_skip_records_articles_without_english_as_failures_and_goes_on(tmp_path, instance, warehouse, monkeypatch, how):
    source = _corpus(tmp_path, [article("mx-1"), article("mx-2", eng_text=None, eng_title=None), article("mx-3")])
    if how == "environment":

        monkeypatch.setenv("ASKNEWS_MISSING_ENGLISH", "skip")
        result = _materialize(instance, warehouse, source, build_resources(Settings.from_env(deployment="local"))["translator"])
    else:
        result = _materialize(instance, warehouse, source, SourceProvidedTranslator(), missing_english="skip")
    assert result.success
    assert _table(warehouse)["article_id"].tolist() == ["mx-1", "mx-3"]
    with warehouse.get_connection() as conn:
        failures = conn.execute("SELECT article_id, reason FROM translation_failures").fetchall()
    assert failures == [("mx-2", "no source-provided English (missing_english=skip)")]
    metadata = _metadata(result)
    assert (metadata["articles"], metadata["source_provided"], metadata["failed"]) == (3, 2, 1)
    complete = _checks(result)["translated_articles_complete"]
    assert complete.passed and complete.metadata["recorded_translation_failures"].value == 1

    # Re-run with the default ('fail'): the partition fails and its earlier rows stay as they were.
    rerun = _materialize(instance, warehouse, source, SourceProvidedTranslator())
    assert not rerun.success and len(_table(warehouse)) == 2


def test_an_unknown_missing_english_choice_is_refused(tmp_path, instance, warehouse):
    source = _corpus(tmp_path, [article("mx-1")])
    result = _materialize(instance, warehouse, source, SourceProvidedTranslator(), missing_english="guess")
    assert not result.success


@pytest.mark.parametrize("translator", [SourceProvidedTranslator(), CTranslate2Translator(models={})])
def test_english_partitions_pass_through(tmp_path, instance, warehouse, translator):
    records = [article("gb-1", country="GB", language="en", title="Budget day", text="The budget was presented today in London.")]
    source = write_corpus(tmp_path / "source", {"en/GB.jsonl": records})
    result = _materialize(instance, warehouse, source, translator, partition="en-GB")
    assert result.success
    row = _table(warehouse).iloc[0]
    assert (row["title_en"], row["text_en"], row["translation_backend"]) == (
        "Budget day", "The budget was presented today in London.", "passthrough",
    )  # fmt: skip
    assert row["language_matches"] and _metadata(result)["passed_through_english"] == 1
