"""Values from sources and models are text on a rendered card, never markup (class 7).

The cards are rendered with a CommonMark renderer (markdown-it-py, raw HTML on, tables on, as the
Hub renders cards) and every element is inspected: nothing that came from a hostile value may be an
image, a link, raw HTML, emphasis, a heading or a way out of a table cell or a code span.
"""

from __future__ import annotations

import json
import re

import pandas as pd
from markdown_it import MarkdownIt

from asknews_assets.metadata import markdown_table
from asknews_assets.publication.cards import parse_card
from asknews_assets.publication.markup import code_span, escape_markdown
from asknews_assets.publication.staging import stage_dataset, stage_model
from asknews_assets_tests.support.data.artefacts import evaluation_rows, write_dataset_export, write_model_folder

MARK = "zq"  # marks each hostile value, to find what became of it
HOSTILE = [
    f"{MARK}1 ` </details><img src=x onerror=alert(1)> `",
    f"{MARK}2 **bold** _em_ ~~gone~~ [link](http://evil.example) ![img](http://evil.example/x.png)",
    f"{MARK}3 <script>alert(1)</script> | split | cell \\| www.evil.example http://evil.example a@evil.example",
    f"{MARK}4\n# heading\n- item\n```\ncode",
    f"{MARK}5 ``` `` \\` &lt;b&gt; &amp; <!-- comment -->",
]


def _render(card: str):
    _, body = parse_card(card)
    renderer = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return renderer.parse(body)


def _walk(tokens):
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


def _assert_inert(card: str) -> None:
    tokens = list(_walk(_render(card)))
    text = " ".join(t.content for t in tokens if t.type in ("text", "code_inline"))
    for token in tokens:
        assert token.type != "image", token
        if token.type == "link_open":
            assert "evil" not in str(token.attrGet("href")), token
        if token.type in ("html_inline", "html_block"):
            # Only the card's own elements; a value inside them is escaped text.
            assert "<" not in re.sub(r"</?(details|summary)>", "", token.content), token
        if token.type == "fence" or token.type == "code_block":
            assert MARK not in token.content, token
    # No emphasis, strikethrough or heading holds a hostile value.
    spans, inside = [], None
    for token in tokens:
        if token.type in ("strong_open", "em_open", "s_open", "heading_open"):
            inside = []
        elif token.type in ("strong_close", "em_close", "s_close", "heading_close"):
            spans.append(" ".join(inside or []))
            inside = None
        elif inside is not None:
            inside.append(token.content)
    assert not [s for s in spans if MARK in s or "bold" in s or "gone" in s or "heading" in s]
    # Every row of every table has as many cells as its header: no value split a cell.
    row_cells, header = [], None
    for token in tokens:
        if token.type == "tr_open":
            row_cells.append(0)
        elif token.type in ("th_open", "td_open"):
            row_cells[-1] += 1
        elif token.type == "table_close":
            header, *rows = row_cells
            assert all(n == header for n in rows), row_cells
            row_cells = []
    # And each value is still there, as the text it is.
    for value in HOSTILE:
        assert " ".join(value.split()) in " ".join(text.split()) or MARK + value[len(MARK)] in text, value


def test_a_dataset_card_shows_hostile_labels_and_names_as_text(tmp_path):
    export = write_dataset_export(tmp_path / "export", "v-aaa")
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["counts"]["topic"] = {value: 2 for value in HOSTILE}
    manifest["counts"]["entity_type"] = {value: 3 for value in HOSTILE}
    manifest["entity_types"] = HOSTILE
    manifest["heldout_topics"] = [{"topic_id": i, "topic_label": value} for i, value in enumerate(HOSTILE)]
    manifest["provenance"]["annotation"] = [{"backend": "llm", "model": HOSTILE[0], "documents": 12}]
    manifest["unattested_rate"] = 0.05
    manifest["unattested_by_backend"] = [{"backend": "llm", "model": HOSTILE[1], "documents": 12, "n_unattested": 1, "unattested_rate": 0.05}]
    (export / "manifest.json").write_text(json.dumps(manifest))
    staged = stage_dataset(export, "v-aaa", "acme/AskNews-NER", tmp_path / "work")
    assert "5.0% of the entities found in the summaries do not occur there" in " ".join(staged.card.split())
    _assert_inert(staged.card)


def test_a_model_card_shows_hostile_benchmark_and_type_names_as_text(tmp_path):
    rows, first = [], min(row["benchmark"] for row in evaluation_rows("small", "m-1"))
    for row in evaluation_rows("small", "m-1"):
        index = 0 if row["benchmark"] == first else 2
        rows.append({**row, "benchmark": HOSTILE[index], "per_type": json.dumps({HOSTILE[1]: {"f1": 0.5}, HOSTILE[3]: 0.4})})
    _, card = stage_model(
        model_path=write_model_folder(tmp_path / "model"), repo_id="acme/gliner_small_news", variant="small",
        model_version="m-1", base_model=HOSTILE[4], dataset_repo_id="acme/AskNews-NER", data_version="v-aaa",
        evaluations=pd.DataFrame(rows), work_dir=tmp_path / "work",
    )  # fmt: skip
    _assert_inert(card)


def test_metadata_tables_and_code_spans_keep_values_inert():
    table = markdown_table([{"title": value, "n": 1} for value in HOSTILE], width=500)
    _assert_inert("---\n{}\n---\n\n" + table + "\n\n" + " ".join(code_span(v) for v in HOSTILE))
    assert escape_markdown("topic_entropy 0.5 12:00") == "topic_entropy 0.5 12:00"  # ordinary text stays readable
