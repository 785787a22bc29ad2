"""The bundled sample corpus meets its brief, and every article in it is accepted by the raw layer."""

import importlib.util

from asknews_assets.ingest.articles import ingest_partition
from asknews_assets.partitions import LANGUAGES
from asknews_assets.resources.ingest import FileNewsSource
from asknews_assets.settings import PROJECT_ROOT, sample_corpus_dir


def _checker():
    spec = importlib.util.spec_from_file_location("check_sample_corpus", PROJECT_ROOT / "scripts" / "check_sample_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_meets_its_brief():
    assert _checker().check(sample_corpus_dir()) == []


def test_every_curated_article_is_accepted_and_the_wire_drop_faults_rejected():
    source = FileNewsSource(directory=str(sample_corpus_dir()))
    partitions = source.list_partitions()
    assert {p.language for p in partitions} == set(LANGUAGES)
    assert len({p.country for p in partitions}) >= 30
    per_language = dict.fromkeys(LANGUAGES, 0)
    for partition in partitions:
        result = ingest_partition(source.read_partition(partition), partition)
        rejected = {r.source_location: r.reason.value for r in result.rejected}
        if str(partition) == "es-MX":
            assert rejected == {
                "es/MX.wire-2024-03.jsonl:1": "duplicate URL",
                "es/MX.wire-2024-03.jsonl:2": "duplicate text",
                "es/MX.wire-2024-03.jsonl:3": "empty text",
                "es/MX.wire-2024-03.jsonl:4": "invalid JSON",
                "es/MX.wire-2024-03.jsonl:5": "language not matching the partition",
                "es/MX.wire-2024-03.jsonl:6": "missing required field",
            }
        else:
            assert rejected == {}, partition
        per_language[partition.language] += len(result.accepted)
    assert min(per_language.values()) >= 12 and sum(per_language.values()) >= 144
