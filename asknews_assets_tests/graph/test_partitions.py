import pytest

from asknews_assets.partitions import (
    LANGUAGES,
    ArticlePartition,
    InvalidPartitionKey,
    article_partitions,
    country_names,
    validate_country,
    validate_language,
)


def test_languages_are_the_recipes_twelve():
    assert LANGUAGES == ("en", "es", "pt", "de", "ru", "fr", "ar", "it", "uk", "no", "sv", "da")


def test_partitions_are_only_the_registered_pairs(instance):
    """No cross product: the partition space is exactly the pairs registered from the source."""
    instance.add_dynamic_partitions(article_partitions.name, ["fr-BE", "fr-FR", "en-GB"])
    assert article_partitions.get_partition_keys(dynamic_partitions_store=instance) == ["fr-BE", "fr-FR", "en-GB"]


def test_country_list_is_iso_3166_alpha_2():
    names = country_names()
    assert len(names) == 250  # 249 assigned codes plus XK
    assert names["FR"] == "France" and names["UA"] == "Ukraine" and "XK" in names
    assert "UK" not in names and "EU" not in names


def test_partition_keys_parse():
    partition = ArticlePartition.from_key("fr-BE")
    assert (partition.country, partition.language) == ("BE", "fr")
    assert str(partition) == partition.key == "fr-BE"
    assert ArticlePartition.from_key(str(ArticlePartition("CA", "en"))) == ArticlePartition("CA", "en")


def test_keys_need_no_quoting_in_the_ui_partition_selector():
    """The UI's partition text box takes unquoted keys and wildcards over [-a-zA-Z0-9_:/@] only, so
    `fr-*` selects a language's pairs and `*-BE` a country's."""
    import re

    assert re.fullmatch(r"[-a-zA-Z0-9_:/@]+", ArticlePartition("BE", "fr").key)


@pytest.mark.parametrize(
    "key",
    [
        "FR-fr",  # parts swapped
        "FR|fr",  # the old multi-partition form
        "xx-FR",  # unknown language
        "fr-ZZ",  # unassigned country
        "fr-F",
        "fr",
        "fr-FR-en",
        "fr-../",
        "../-FR",
        "fr-FR'; DROP TABLE raw_articles; --",
        "fr' OR '1'='1-FR",
        "fr-FR\x00",
        "fr-FR\n",
        "fr -FR",
        "",
        None,
    ],
)
def test_hostile_or_invalid_keys_are_refused(key):
    with pytest.raises(InvalidPartitionKey):
        ArticlePartition.from_key(key)


@pytest.mark.parametrize("bad", [None, 7, "fr ", "FR", "english", "no/../"])
def test_language_validation(bad):
    with pytest.raises(InvalidPartitionKey):
        validate_language(bad)


@pytest.mark.parametrize("bad", [None, "fr", "FRA", "F1", " FR", "XX"])
def test_country_validation(bad):
    with pytest.raises(InvalidPartitionKey):
        validate_country(bad)
