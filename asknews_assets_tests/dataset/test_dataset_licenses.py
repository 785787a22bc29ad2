"""The dataset's licence comes from its sources: the most restrictive one, or a refusal with the reason."""

import json

import pytest

from asknews_assets.publication.bundle import PublicationError
from asknews_assets.publication.cards import parse_card
from asknews_assets.publication.licenses import LicenseConflict, dataset_license, normalize
from asknews_assets.publication.staging import stage_dataset
from asknews_assets_tests.support.data.artefacts import write_dataset_export


def test_one_licence_is_the_datasets():
    decided = dataset_license({"CC-BY-4.0": 12})
    assert (decided.license, decided.name, decided.documents_by_license) == ("cc-by-4.0", "cc-by-4.0", {"cc-by-4.0": 12})


def test_mixed_licences_give_the_most_restrictive_and_are_all_listed():
    assert dataset_license({"cc0-1.0": 3, "cc-by-4.0": 5, "CC-BY-SA-4.0": 2}).license == "cc-by-sa-4.0"
    assert dataset_license({"apache-2.0": 3, "cc-by-nc-4.0": 1}).license == "cc-by-nc-4.0"
    assert dataset_license({"cc-by-4.0": 3, "cc-by-nc-sa-4.0": 1}).license == "cc-by-nc-sa-4.0"
    terms = dataset_license({"cc-by-4.0": 3, "LicenseRef-AskNews-Terms-of-Service": 9})
    assert (terms.license, terms.name) == ("other", "LicenseRef-AskNews-Terms-of-Service")
    assert normalize("  ") == "unknown" and normalize("MIT") == "mit"


@pytest.mark.parametrize(
    ("licences", "message"),
    [
        ({"cc-by-4.0": 3, "": 2}, "2 document.*no known licence.*ASKNEWS_SOURCE_LICENSE"),
        ({"cc-by-sa-4.0": 3, "cc-by-nc-4.0": 1}, "cc-by-sa-4.0 requires derivatives under itself, but cc-by-nc-4.0"),
        ({"cc-by-sa-4.0": 3, "odbl": 1}, "each require derivatives to carry that same licence"),
        ({"cc-by-4.0": 3, "cc-by-nd-4.0": 1}, "allow no derivatives"),
        ({}, "records no licence"),
    ],
)
def test_licences_no_dataset_licence_can_honour_are_refused(licences, message):
    with pytest.raises(LicenseConflict, match=message):
        dataset_license(licences)


def test_a_configured_licence_must_honour_every_source():
    assert dataset_license({"cc-by-4.0": 3}, configured="cc-by-nc-4.0").license == "cc-by-nc-4.0"  # stricter: allowed
    assert dataset_license({"apache-2.0": 3}, configured="Apache-2.0").license == "apache-2.0"
    with pytest.raises(LicenseConflict, match="configured dataset licence apache-2.0 .*ASKNEWS_DATASET_LICENSE=cc-by-sa-4.0"):
        dataset_license({"cc-by-4.0": 3, "cc-by-sa-4.0": 1}, configured="apache-2.0")
    with pytest.raises(LicenseConflict, match="does not honour"):
        dataset_license({"cc-by-sa-4.0": 3}, configured="cc-by-nc-sa-4.0")  # share-alike: only itself


def _export_with(tmp_path, licences):
    export = write_dataset_export(tmp_path / "export", "v-aaa")
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["licenses"] = licences
    (export / "manifest.json").write_text(json.dumps(manifest))
    return export


def test_the_card_states_the_source_licences(tmp_path):
    export = _export_with(tmp_path, {"cc-by-4.0": 8, "cc-by-sa-4.0": 4})
    front, body = parse_card(stage_dataset(export, "v-aaa", "acme/data", tmp_path / "work").card)
    assert front["license"] == "cc-by-sa-4.0"
    assert "`cc-by-sa-4.0`: the most restrictive licence of the source articles" in body
    assert "| cc-by-4.0 | 8 | 66.7% |" in body and "| cc-by-sa-4.0 | 4 | 33.3% |" in body

    other = _export_with(tmp_path / "o", {"LicenseRef-AskNews-Terms-of-Service": 12})
    front, _ = parse_card(stage_dataset(other, "v-aaa", "acme/data", tmp_path / "work2").card)
    assert (front["license"], front["license_name"]) == ("other", "LicenseRef-AskNews-Terms-of-Service")


def test_publication_is_refused_on_a_conflict_with_the_configured_licence(tmp_path):
    export = _export_with(tmp_path, {"cc-by-nc-4.0": 12})
    with pytest.raises(PublicationError, match="not published: the configured dataset licence apache-2.0"):
        stage_dataset(export, "v-aaa", "acme/data", tmp_path / "work", configured_license="apache-2.0")
    unrecorded = _export_with(tmp_path / "u", {})
    with pytest.raises(PublicationError, match="records no licence"):
        stage_dataset(unrecorded, "v-aaa", "acme/data", tmp_path / "work3")
