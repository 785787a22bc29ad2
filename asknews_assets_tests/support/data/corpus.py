"""News records and the files a FileNewsSource reads, written by hand for one test or benchmark."""

from __future__ import annotations

import json
from pathlib import Path

from asknews_assets.resources.ingest import FileNewsSource


def article(article_id: str, country: str = "MX", language: str = "es", **fields: object) -> dict:
    """A valid source record; keyword arguments override or add fields."""
    return {
        "article_id": article_id,
        "article_url": f"https://news.example/{article_id}",
        "source_id": "Diario de Prueba",
        "country": country,
        "language": language,
        "pub_date": "2024-03-01T10:00:00-06:00",
        "title": f"Titular {article_id}",
        "text": f"El artículo {article_id} cuenta una historia distinta sobre la ciudad de Monterrey.",
        "eng_title": f"Headline {article_id}",
        "eng_text": f"Article {article_id} tells a different story about the city of Monterrey.",
        "classification": "Politics",
        **fields,
    }


def write_corpus(root: Path, files: dict[str, list[dict | str | bytes]]) -> FileNewsSource:
    """Write `{"es/MX.jsonl": [record or raw line, ...]}` under root and return a source over it."""
    for relative, lines in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            for line in lines:
                if isinstance(line, dict):
                    line = json.dumps(line, ensure_ascii=False)
                handle.write((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n")
    return FileNewsSource(directory=str(root))
