import pytest
from dagster import MultiPartitionKey

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
    assert article_partitions.partitions_defs[1].partitions_def.get_partition_keys() == list(LANGUAGES)


def test_country_list_is_iso_3166_alpha_2():
    names = country_names()
    assert len(names) == 250  # 249 assigned codes plus XK
    assert names["FR"] == "France" and names["UA"] == "Ukraine" and "XK" in names
    assert "UK" not in names and "EU" not in names


@pytest.mark.parametrize("key", ["FR|fr", MultiPartitionKey({"country": "FR", "language": "fr"})])
def test_partition_keys_parse(key):
    partition = ArticlePartition.from_key(key)
    assert (partition.country, partition.language) == ("FR", "fr")
    assert str(partition) == "FR|fr" and partition.key.keys_by_dimension == {"country": "FR", "language": "fr"}


@pytest.mark.parametrize(
    "key",
    [
        "fr|FR",  # dimensions swapped
        "FR|xx",  # unknown language
        "ZZ|fr",  # unassigned country
        "F|fr",
        "FR",
        "FR|fr|en",
        "../|fr",
        "FR|../../etc",
        "FR'; DROP TABLE raw_articles; --|fr",
        "FR|fr' OR '1'='1",
        "FR\x00|fr",
        "FR|fr\n",
        "",
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
