"""Feed artefacts (truncation markers, photo credits, a chopped first letter) cleaned at ingest,
recorded per article, configurable; and each article's licence recorded."""

from __future__ import annotations

import string

from dagster import materialize
from hypothesis import given, settings
from hypothesis import strategies as st

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.ingest.articles import SourceRecord, ingest_partition
from asknews_assets.ingest.artefacts import (
    CHOPPED_START,
    CREDIT,
    TRUNCATED,
    ArtefactSettings,
    clean_artefacts,
)
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.warehouse import tables
from asknews_assets_tests.support.data.corpus import article, write_corpus

MX = ArticlePartition("MX", "es")


def test_truncation_markers_of_every_common_shape_are_removed_and_flagged():
    for marker in ("... [+7013 chars]", "… [+7,013 chars]", " [+12 characters]", "...[+5 chars]"):
        cleaned = clean_artefacts(f"El consejo aprobó el plan el lunes{marker}")
        assert cleaned.text == "El consejo aprobó el plan el lunes" and cleaned.truncated, marker
    assert clean_artefacts("Costs rose [+5%] in March.").artefacts == ()  # not a marker: not at the end, no 'chars'


def test_photo_credits_are_removed_wherever_they_stand_on_a_line_of_their_own():
    for credit in ("Photo: Ana Ruiz/Global Wire Service", "(Photo by Ana Ruiz/Getty Images)", "Image credit: Daily Digest",
                   "FILE PHOTO: Kenji Silva/Reuters"):  # fmt: skip
        for text in (f"{credit}\nThe council met on Monday.", f"The council met on Monday.\n{credit}"):
            cleaned = clean_artefacts(text)
            assert (cleaned.text, cleaned.artefacts) == ("The council met on Monday.", (CREDIT,)), text
    # A re-publisher's dateline in front of the credit stays, joined to the text.
    dated = clean_artefacts("(Global Wire Service) — Photo: Oskar Novak/Global Wire Service\nThe council met.")
    assert (dated.text, dated.artefacts) == ("(Global Wire Service) — The council met.", (CREDIT,))
    # A sentence that mentions a photo is text, not a credit.
    kept = "The photo: a crowd outside the town hall, was shared widely.\nIt showed the mayor."
    assert clean_artefacts(kept).text == kept


def test_a_chopped_first_letter_drops_the_broken_word():
    cleaned = clean_artefacts("he city council of Lyon approved the plan.")
    assert (cleaned.text, cleaned.artefacts) == ("City council of Lyon approved the plan.", (CHOPPED_START,))
    for intact in ("iPhone sales rose.", "2024 was a dry year.", "وافق المجلس البلدي على الخطة.", "Городской совет."):
        assert clean_artefacts(intact).artefacts == (), intact


def test_cleaning_can_be_switched_off_but_the_artefacts_are_still_recorded():
    text = "Photo: A. Ruiz/Wire\nhe council met... [+70 chars]"
    kept = clean_artefacts(text, ArtefactSettings(truncation=False, credits=False, chopped_start=False))
    assert kept.text == text and set(kept.artefacts) == {CREDIT, TRUNCATED}  # chopped: the credit line comes first
    assert clean_artefacts(text).text == "Council met" and set(clean_artefacts(text).artefacts) == {CREDIT, TRUNCATED, CHOPPED_START}


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(alphabet=string.ascii_letters + " .,\n'éü", min_size=0, max_size=200),
    hidden=st.integers(min_value=1, max_value=10**6),
    credit=st.booleans(),
)
def test_cleaning_never_grows_text_and_leaves_no_marker(body, hidden, credit):
    text = (f"Photo: Someone/Agency\n{body}" if credit else body) + f"... [+{hidden} chars]"
    cleaned = clean_artefacts(text)
    assert len(cleaned.text) <= len(text)
    assert "chars]" not in cleaned.text[-8:] and TRUNCATED in cleaned.artefacts
    assert set(cleaned.artefacts) <= {TRUNCATED, CREDIT, CHOPPED_START}
    off = clean_artefacts(text, ArtefactSettings(False, False, False))
    assert off.text == text and TRUNCATED in off.artefacts


def test_ingest_records_artefacts_truncation_and_licences():
    records = [
        article("a", text="he consejo aprobó el plan... [+7013 chars]", eng_text="he council approved the plan... [+6500 chars]"),
        article("b", license="CC-BY-SA-4.0"),
        article("c", text="Photo: Ana Ruiz/Wire\nEl consejo se reunió el lunes."),
    ]
    lines = [SourceRecord(f"es/MX.jsonl:{i}", r) for i, r in enumerate(records, 1)]
    result = ingest_partition(lines, MX, default_license="cc-by-4.0")
    by_id = {a.article_id: a for a in result.accepted}
    assert by_id["a"].text == "Consejo aprobó el plan" and by_id["a"].eng_text == "Council approved the plan"
    assert by_id["a"].truncated and set(by_id["a"].artefacts) == {TRUNCATED, CHOPPED_START}
    assert (by_id["b"].license, by_id["a"].license) == ("CC-BY-SA-4.0", "cc-by-4.0")  # the record's, else the source's
    assert by_id["c"].artefacts == (CREDIT,) and not by_id["c"].truncated
    assert ingest_partition(lines[:1], MX).accepted[0].license is None  # unknown: neither record nor source says


def _raw(instance, warehouse, source, **config):
    return materialize(
        [raw_articles], partition_key="es-MX", instance=instance,
        resources={"source": source, "warehouse": warehouse},
        run_config={"ops": {"raw_articles": {"config": config}}} if config else None,
    )  # fmt: skip


def test_raw_articles_stores_the_flags_and_the_config_switches_cleaning(tmp_path, instance, warehouse):
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    source = write_corpus(tmp_path / "src", {"es/MX.jsonl": [article("a", text="El consejo aprobó el plan... [+7013 chars]")]})
    source = FileNewsSource(directory=source.directory, license="cc-by-4.0")
    result = _raw(instance, warehouse, source)
    with warehouse.get_connection() as conn:
        row = conn.execute("SELECT text, truncated, artefacts, license FROM raw_articles").fetchone()
    assert row == ("El consejo aprobó el plan", True, [TRUNCATED], "cc-by-4.0")
    [materialization] = result.asset_materializations_for_node("raw_articles")
    assert materialization.metadata["truncated"].value == 1

    _raw(instance, warehouse, source, clean_truncation_markers=False)
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT text, truncated FROM raw_articles").fetchone() == ("El consejo aprobó el plan... [+7013 chars]", True)


def test_a_warehouse_from_before_the_new_columns_takes_new_partitions(tmp_path, instance, warehouse):
    """Regression: raw_articles gained license / artefacts / truncated; an existing table gets them added."""
    old_ddl = tables.RAW_ARTICLES.ddl.replace(", license VARCHAR, artefacts VARCHAR[], truncated BOOLEAN", "")
    assert old_ddl != tables.RAW_ARTICLES.ddl
    with warehouse.get_connection() as conn:
        conn.execute(f"CREATE TABLE {tables.RAW_ARTICLES} ({old_ddl})")
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    assert _raw(instance, warehouse, write_corpus(tmp_path / "src", {"es/MX.jsonl": [article("a")]})).success
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT article_id, truncated FROM raw_articles").fetchall() == [("a", False)]
