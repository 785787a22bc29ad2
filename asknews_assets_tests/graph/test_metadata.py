"""Metadata helpers: column schemas from the warehouse DDL, table previews, plot titles."""

import datetime

import numpy as np

from asknews_assets.metadata import column_schema, largest_title, table_preview
from asknews_assets.warehouse import tables


def test_column_schema_follows_the_ddl():
    schema = column_schema(tables.RAW_ARTICLES.ddl)
    assert [c.name for c in schema.columns][:4] == ["article_id", "country", "language", "article_url"]
    assert [c.constraints.nullable for c in schema.columns][:4] == [False, False, False, True]
    assert schema.columns[6].type == "TIMESTAMPTZ"
    embedding = column_schema(tables.ARTICLE_EMBEDDINGS.ddl).columns[3]
    assert (embedding.name, embedding.type, embedding.constraints.nullable) == ("embedding", "FLOAT[]", False)
    nested = column_schema("a DECIMAL(10, 2), b VARCHAR").columns
    assert [(c.name, c.type) for c in nested] == [("a", "DECIMAL(10, 2)"), ("b", "VARCHAR")]


def test_table_preview_keeps_plain_values_and_shortens_text():
    rows = [{"n": np.int64(3), "share": 0.123456789, "day": datetime.date(2024, 3, 1), "text": "x " * 200, "none": None}]
    preview = table_preview(rows, width=20)
    (record,) = preview.records
    assert record.data == {"n": 3, "share": 0.1235, "day": "2024-03-01", "text": "x " * 9 + "x…", "none": None}
    assert [c.type for c in preview.schema.columns] == ["number", "number", "string", "string", "string"]
    assert len(table_preview([{"i": i} for i in range(30)], max_rows=10).records) == 10


def test_plot_titles_say_how_many_bars_they_show():
    assert largest_title("articles per topic", 12, 12) == "articles per topic"
    assert largest_title("articles per topic", 40, 73) == "articles per topic (largest 40 of 73)"
