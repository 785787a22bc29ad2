"""The AskNews source through the real `asknews` SDK, against a local fake of the API (127.0.0.1 only)."""

import base64
from datetime import datetime, timezone

import httpx
import pytest
from asknews_sdk.errors import ServiceUnavailableError
from dagster import EnvVar, build_sensor_context, materialize

from asknews_assets.assets.ingest import raw_articles
from asknews_assets.ingest.articles import RejectReason, ingest_partition
from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources import ingest_asknews as asknews_source
from asknews_assets.resources.ingest_asknews import AskNewsCredentialsMissing, AskNewsSource
from asknews_assets.sensors.discovery import news_source_discovery_sensor
from asknews_assets.settings import Settings
from asknews_assets_tests.support.fakes.asknews_api import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    WINDOW_END,
    WINDOW_START,
    FakeAskNews,
    recorded_articles,
)

MX_ES = ArticlePartition("MX", "es")


@pytest.fixture(autouse=True)
def fresh_discovery_cache(monkeypatch):
    """A test server may get a port an earlier one had: no test sees another's discovery."""
    monkeypatch.setattr(asknews_source, "_discovered", {})


@pytest.fixture
def api():
    with FakeAskNews(recorded_articles()) as fake:
        yield fake


def _source(api, **config) -> AskNewsSource:
    settings = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": api.base_url,
        "token_url": api.token_url,
        "start": WINDOW_START,
        "end": WINDOW_END,
        "page_size": 4,
        **config,
    }
    return AskNewsSource(**settings)


def _article_numbers(records):
    return [int(record.payload["article_id"].replace("-", ""), 16) for record in records]


def test_list_partitions_finds_the_valid_pairs_once_per_window(api):
    source = _source(api)
    expected = [ArticlePartition("FR", "fr"), MX_ES, ArticlePartition("MX", "pt")]  # not the invalid 'ZZ'
    assert source.list_partitions() == expected
    assert sorted(q["languages"][0] for q in api.search_requests) == sorted([*source.languages, "es"])  # es: 2 pages
    assert all("countries" not in q for q in api.search_requests)

    requests = len(api.search_requests)
    assert _source(api).list_partitions() == expected
    assert len(api.search_requests) == requests  # the same window is not scanned again
    assert _source(api, end="2024-03-31T00:00:00Z").list_partitions() == expected
    assert len(api.search_requests) > requests


def test_configured_countries_need_no_search(api):
    source = _source(api, countries=["MX", "AR"], languages=["es", "en"])
    assert [str(p) for p in source.list_partitions()] == ["en-AR", "es-AR", "en-MX", "es-MX"]
    assert api.search_requests == [] and api.token_requests == 0


def test_discovery_sensor_runs_each_pair_once_per_window(api, instance):
    def evaluate(cursor=None):
        context = build_sensor_context(instance=instance, cursor=cursor, resources={"source": _source(api)})
        return news_source_discovery_sensor(context)

    first = evaluate()
    assert [r.partition_keys for r in first.dynamic_partitions_requests] == [["es-MX", "fr-FR", "pt-MX"]]
    assert [r.partition_key for r in first.run_requests] == ["es-MX", "fr-FR", "pt-MX"]
    instance.add_dynamic_partitions("article_pairs", ["es-MX", "fr-FR", "pt-MX"])
    again = evaluate(first.cursor)
    assert again.skip_reason and not again.run_requests


def test_read_partition_pages_through_the_window_and_maps_fields(api):
    records = list(_source(api).read_partition(MX_ES))

    assert [r.location for r in records] == [f"asknews:MX/es/page1#{i}" for i in range(1, 5)] + [
        f"asknews:MX/es/page2#{i}" for i in range(1, 4)
    ]
    assert _article_numbers(records) == [1, 2, 3, 4, 5, 6, 7]  # 8 is outside the window
    first, second, third = (r.payload for r in records[:3])
    assert first == {
        "article_id": "00000000-0000-0000-0000-000000000001",
        "article_url": "https://diario.example/es/1",
        "country": "MX",
        "language": "es",
        "pub_date": "2024-03-01T10:00:00-06:00",
        "title": "Titular 1",
        "eng_title": "Headline 1",
        "text": "Article 1 tells a different story about the city of Monterrey and its mayor.",
        "eng_text": "Article 1 tells a different story about the city of Monterrey and its mayor.",
        "classification": "Business",
        "source_id": "Diario de Prueba",
    }
    assert second["text"] == "El artículo 2 trata de Monterrey."  # the original-language summary
    assert second["eng_text"] == "Article 2 tells a different story about the city of Monterrey and its mayor."
    assert third["text"] == third["eng_text"] == "Monterrey elects a mayor.\nTurnout rose."

    assert api.token_requests == 1
    assert [(q["offset"], q["n_articles"]) for q in api.search_requests] == [(["0"], ["4"]), (["4"], ["4"])]
    query = api.search_requests[0]
    start, end = (int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()) for t in (WINDOW_START, WINDOW_END))
    assert (query["countries"], query["languages"]) == (["MX"], ["es"])
    assert (query["start_timestamp"], query["end_timestamp"]) == ([str(start)], [str(end)])
    assert (query["time_filter"], query["return_type"], query["historical"]) == (["pub_date"], ["dicts"], ["True"])
    assert "hours_back" not in query


def test_max_pages_bounds_the_read(api):
    assert _article_numbers(_source(api, max_pages=1).read_partition(MX_ES)) == [1, 2, 3, 4]
    assert len(api.search_requests) == 1


def test_ingest_accepts_the_good_articles_and_rejects_the_bad_with_reasons(api):
    result = ingest_partition(_source(api).read_partition(MX_ES), MX_ES)
    assert result.read == 7
    assert [a.article_id[-1] for a in result.accepted] == ["1", "2", "3", "7"]
    assert [(r.source_location, r.reason, r.detail) for r in result.rejected] == [
        ("asknews:MX/es/page1#4", RejectReason.INVALID_COUNTRY, "'ZZ'"),
        ("asknews:MX/es/page2#1", RejectReason.LANGUAGE_MISMATCH, "pt in partition es-MX"),
        ("asknews:MX/es/page2#2", RejectReason.MISSING_FIELD, "text"),
    ]
    assert result.accepted[0].pub_date == datetime(2024, 3, 1, 16, tzinfo=timezone.utc)


def test_fingerprint_is_stable_for_a_window_and_moves_with_it(api, monkeypatch):
    fixed = _source(api)
    assert fixed.fingerprint(MX_ES) == _source(api).fingerprint(MX_ES)
    assert fixed.fingerprint(MX_ES) != fixed.fingerprint(ArticlePartition("MX", "pt"))
    assert fixed.fingerprint(MX_ES) != _source(api, start="2024-02-21T00:00:00Z").fingerprint(MX_ES)
    assert fixed.fingerprint(MX_ES) != _source(api, query="elecciones").fingerprint(MX_ES)
    assert api.search_requests == []

    lookback = _source(api, start=None, end=None, lookback_hours=6)
    fingerprints = []
    for hour, minute in ((10, 5), (10, 55), (11, 5)):
        monkeypatch.setattr(asknews_source, "_utcnow", lambda: datetime(2024, 3, 1, hour, minute, tzinfo=timezone.utc))
        fingerprints.append(lookback.fingerprint(MX_ES))
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]
    assert lookback.window().start == datetime(2024, 3, 1, 5, tzinfo=timezone.utc)


def test_configuration_errors_name_the_setting(api):
    with pytest.raises(AskNewsCredentialsMissing, match="ASKNEWS_CLIENT_ID and ASKNEWS_CLIENT_SECRET"):
        list(_source(api, client_secret=None).read_partition(MX_ES))
    with pytest.raises(ValueError, match="AskNewsSource.languages .*'xx'"):
        _source(api, languages=["es", "xx"]).list_partitions()
    with pytest.raises(ValueError, match="AskNewsSource.countries .*'Mexico'"):
        _source(api, countries=["Mexico"]).list_partitions()
    with pytest.raises(ValueError, match="AskNewsSource.start is not an ISO 8601 time"):
        _source(api, start="last tuesday").fingerprint(MX_ES)
    with pytest.raises(ValueError, match="not before its end"):
        _source(api, start=WINDOW_END, end=WINDOW_START).window()


def test_http_errors_surface(api):
    with pytest.raises(httpx.HTTPStatusError, match="401") as wrong_secret:
        list(_source(api, client_secret="wrong-secret-value").read_partition(MX_ES))
    assert "wrong-secret-value" not in str(wrong_secret.value)

    api.fail_search_with = 503
    with pytest.raises(ServiceUnavailableError):
        list(_source(api).read_partition(MX_ES))


def test_api_key_replaces_the_client_credentials(api):
    source = _source(api, client_id=None, client_secret=None, api_key=API_KEY)
    assert _article_numbers(source.read_partition(MX_ES)) == [1, 2, 3, 4, 5, 6, 7]
    assert api.token_requests == 0
    assert API_KEY not in repr(source) and CLIENT_SECRET not in repr(_source(api))


def test_raw_articles_from_asknews_without_leaking_the_secret(api, warehouse, instance, monkeypatch, capfd):
    monkeypatch.setenv("ASKNEWS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ASKNEWS_CLIENT_SECRET", CLIENT_SECRET)
    instance.add_dynamic_partitions("article_pairs", ["es-MX"])
    source = _source(api, client_id=EnvVar("ASKNEWS_CLIENT_ID"), client_secret=EnvVar("ASKNEWS_CLIENT_SECRET"))

    result = materialize(
        [raw_articles], partition_key="es-MX", resources={"source": source, "warehouse": warehouse}, instance=instance
    )

    assert result.success and api.token_requests == 1  # the fake only grants a token for the right secret
    (materialization,) = result.asset_materializations_for_node("raw_articles")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert (metadata["read"], metadata["accepted"], metadata["rejected"]) == (7, 4, 3)
    assert metadata["source_backend"] == "asknews"
    with warehouse.get_connection() as conn:
        stored = conn.execute("SELECT title, eng_text FROM raw_articles ORDER BY article_id").fetchall()
        rejects = conn.execute("SELECT reason FROM raw_article_rejects ORDER BY source_location").fetchall()
    assert [title for title, _ in stored] == ["Titular 1", "Titular 2", "Titular 3", "Titular 7"]
    assert rejects == [("invalid country",), ("language not matching the partition",), ("missing required field",)]

    basic_auth = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    run = instance.get_run_by_id(result.run_id)
    recorded = " ".join([repr(metadata), repr(run), *(repr(event) for event in instance.all_logs(result.run_id))])
    captured = capfd.readouterr()
    for text in (recorded, captured.out, captured.err):
        assert CLIENT_SECRET not in text and basic_auth not in text
    assert "Titular 1" in recorded  # the search reached what was recorded: the preview is there


def test_production_without_credentials_fails_naming_the_variables_before_any_request(api, monkeypatch):
    """Regression: an unresolved EnvVar is a non-empty string, so the SDK used to try the network."""
    from asknews_assets.resources import build_resources

    for name in ("ASKNEWS_CLIENT_ID", "ASKNEWS_CLIENT_SECRET", "ASKNEWS_API_KEY", "ASKNEWS_SOURCE_DIR", "ASKNEWS_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    source = build_resources(Settings.from_env(deployment="production"))["source"]
    assert isinstance(source, AskNewsSource)
    window = {"start": WINDOW_START, "end": WINDOW_END, "page_size": 4}
    source = source.model_copy(update={"base_url": api.base_url, "token_url": api.token_url, **window})
    with pytest.raises(AskNewsCredentialsMissing, match="ASKNEWS_CLIENT_ID and ASKNEWS_CLIENT_SECRET.*ASKNEWS_API_KEY"):
        source.list_partitions()
    with pytest.raises(AskNewsCredentialsMissing):
        list(source.read_partition(MX_ES))
    assert api.token_requests == 0 and api.search_requests == []

    # Set in the environment, the same unresolved EnvVars are read at use.
    monkeypatch.setenv("ASKNEWS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ASKNEWS_CLIENT_SECRET", CLIENT_SECRET)
    assert _article_numbers(source.read_partition(MX_ES)) == [1, 2, 3, 4, 5, 6, 7]


def test_an_explicit_source_folder_is_never_replaced_by_the_api(tmp_path, monkeypatch):
    from asknews_assets.resources import build_resources
    from asknews_assets.resources.ingest import FileNewsSource

    monkeypatch.delenv("ASKNEWS_SOURCE", raising=False)
    monkeypatch.setenv("ASKNEWS_SOURCE_DIR", str(tmp_path))
    source = build_resources(Settings.from_env(deployment="production"))["source"]
    assert isinstance(source, FileNewsSource) and source.directory == str(tmp_path.resolve())
    monkeypatch.setenv("ASKNEWS_SOURCE", "asknews")  # asking for both is an error, not a silent choice
    with pytest.raises(ValueError, match="ASKNEWS_SOURCE=asknews .* ASKNEWS_SOURCE_DIR is set too"):
        Settings.from_env(deployment="production")
    monkeypatch.delenv("ASKNEWS_SOURCE_DIR")
    assert isinstance(build_resources(Settings.from_env(deployment="local"))["source"], AskNewsSource)  # the API chosen explicitly, even locally
    monkeypatch.setenv("ASKNEWS_SOURCE", "kafka")
    with pytest.raises(ValueError, match="ASKNEWS_SOURCE must be 'files' or 'asknews'"):
        Settings.from_env(deployment="local")
