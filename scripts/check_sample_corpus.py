"""Checks the bundled sample corpus against its brief (used by writers and by the tests)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

REQUIRED = ("article_id", "article_url", "source_id", "country", "language", "pub_date", "title", "text", "classification")


def check(root: Path) -> list[str]:
    problems: list[str] = []
    per_language: Counter[str] = Counter()
    countries: set[str] = set()
    ids: set[str] = set()
    for path in sorted(root.glob("*/??.jsonl")):  # curated files; <COUNTRY>.<drop>.jsonl are raw feed drops
        language, country = path.parent.name, path.stem
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(root)}:{n}"
            row = json.loads(line)
            missing = [k for k in REQUIRED if not row.get(k)]
            if missing:
                problems.append(f"{where}: missing {missing}")
                continue
            if (row["language"], row["country"]) != (language, country):
                problems.append(f"{where}: row says {row['language']}/{row['country']}")
            if row["article_id"] in ids:
                problems.append(f"{where}: repeated article_id {row['article_id']}")
            ids.add(row["article_id"])
            words = len(row["text"].split())
            if not 80 <= words <= 250:
                problems.append(f"{where}: {words} words")
            if language != "en":
                if not row.get("eng_title") or not row.get("eng_text"):
                    problems.append(f"{where}: no English translation")
                elif not 60 <= len(row["eng_text"].split()) <= 300:
                    problems.append(f"{where}: English translation of {len(row['eng_text'].split())} words")
            if not ("2024-02-20" <= row["pub_date"][:10] <= "2024-03-31"):
                problems.append(f"{where}: pub_date {row['pub_date']} outside the window")
            per_language[language] += 1
            countries.add(country)
    print(f"{sum(per_language.values())} articles, {len(per_language)} languages, {len(countries)} countries")
    print(dict(sorted(per_language.items())))
    return problems


if __name__ == "__main__":
    found = check(Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample"))
    print("\n".join(found) or "OK")
    sys.exit(1 if found else 0)
