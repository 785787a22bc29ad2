"""The LLM annotator against the scripted fake OpenAI server: grounding, retries, failures, cache."""

import json

import pytest

from asknews_assets.annotation import Document, annotated_record, load_entity_schema
from asknews_assets.annotation.prompt import INVALID_JSON, PROMPT_VERSION
from asknews_assets.llm import ChatEndpoint
from asknews_assets.resources.annotation import LLMAnnotator
from asknews_assets_tests.support.fakes import Answer, FakeOpenAIServer

SCHEMA = load_entity_schema(only=["person", "city", "country", "organization"])
ARTICLE = {"article_id": "a1", "country": "FR", "language": "fr", "topic_id": 3, "topic_label": "politics", "pub_date": None}


def _entities(*pairs):
    return json.dumps({"entities": [{"text": text, "type": label} for text, label in pairs]})


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


def _annotator(server, warehouse, **settings):
    endpoint = ChatEndpoint(
        base_url=server.base_url, model="fake-llama", api_key_env="", max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02, **settings
    )
    return LLMAnnotator(endpoint=endpoint, warehouse=warehouse)


def test_hallucinated_entities_are_ungrounded_and_counted(server, warehouse):
    text = "Emmanuel Macron met Olaf Scholz in Paris. Macron said France would act."
    server.script(
        Answer(
            "```json\n"
            + _entities(
                ("Emmanuel Macron", "person"),
                ("Macron", "person"),
                ("Olaf Scholz", "person"),
                ("Paris", "city"),
                ("France", "country"),
                ("Angela Merkel", "person"),  # not in the text
                ("Berlin", "city"),  # not in the text
                ("Élysée", "palace"),  # outside the schema
            )
            + "\n```"
        )
    )
    annotator = _annotator(server, warehouse)
    (annotation,) = annotator.annotate([Document("a1", text)], SCHEMA)
    assert annotation.ok and annotation.attempts == 1 and len(annotation.mentions) == 8

    row = annotated_record(ARTICLE, text, annotation, SCHEMA.names, backend="llm", model="fake-llama", prompt_version=PROMPT_VERSION)
    tokens = row["tokenized_text"]
    spans = [(" ".join(tokens[s : e + 1]), t) for s, e, t in json.loads(row["ner"])]
    assert spans == [
        ("Emmanuel Macron", "person"),
        ("Olaf Scholz", "person"),
        ("Paris", "city"),
        ("Macron", "person"),
        ("France", "country"),
    ]
    assert (row["n_proposed"], row["n_ungrounded"], row["n_unknown_type"], row["n_entities"]) == (8, 2, 1, 5)
    assert json.loads(row["ungrounded_mentions"]) == ["Angela Merkel", "Berlin"]
    # The request carried the schema and the text.
    user = server.log[0].user_text
    assert "- city: A city" in user and user.endswith(text) and server.log[0].body["temperature"] == 0.0


def test_invalid_json_is_retried_then_the_failure_is_recorded(server, warehouse):
    server.script(Answer("Sure! Macron is a person."), Answer(_entities(("Macron", "person"))), when="Macron")
    server.script(*[Answer('{"entities": [{"text": "Lyon"')] * 3, when="Lyon")
    documents = [Document("ok", "Macron spoke."), Document("bad", "Lyon won the match.")]
    annotations = _annotator(server, warehouse).annotate(documents, SCHEMA)

    ok, bad = annotations
    assert (ok.key, ok.ok, ok.attempts, ok.mentions[0].text) == ("ok", True, 2, "Macron")
    assert (bad.key, bad.ok, bad.failure, bad.attempts, bad.mentions) == ("bad", False, INVALID_JSON, 3, ())
    assert len(server.calls_mentioning("Lyon")) == 3 and server.unused_steps == 0


def test_answers_come_from_the_cache_on_a_rerun(server, warehouse):
    server.responder = lambda body: Answer(_entities(("Kyiv", "city")))
    documents = [Document(f"d{i}", f"Story {i} from Kyiv.") for i in range(5)]
    first = _annotator(server, warehouse, concurrency=2).annotate(documents, SCHEMA)
    assert server.calls == 5 and server.max_in_flight <= 2 and not any(a.cached for a in first)

    again = _annotator(server, warehouse).annotate(documents, SCHEMA)
    assert server.calls == 5  # nothing asked twice
    assert all(a.cached and a.mentions == first[0].mentions for a in again)
    with warehouse.get_connection() as conn:
        stored = conn.execute("SELECT count(*), min(prompt_version) FROM llm_cache").fetchone()
    assert stored == (5, PROMPT_VERSION)


def test_annotator_names_backend_model_and_prompt_version(server, warehouse):
    annotator = _annotator(server, warehouse)
    assert (annotator.backend, annotator.model_name, annotator.prompt_version) == ("llm", "fake-llama", PROMPT_VERSION)
