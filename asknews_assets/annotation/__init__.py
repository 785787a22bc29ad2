"""Entity annotation as plain logic: the type schema, GLiNER-style tokens and span grounding, and the
three annotator backends. The splits and the export are the dataset stage's (asknews_assets.dataset)."""

from asknews_assets.annotation.backends import (
    Annotation,
    AnnotatorUnavailable,
    Document,
    annotate_with_gliner,
    annotate_with_llm,
    annotate_with_spacy,
    load_spacy,
    spacy_model_name,
)
from asknews_assets.annotation.prompt import PROMPT_VERSION, entities_problem, entity_messages, parse_entities
from asknews_assets.annotation.records import (
    annotated_record,
    annotated_rows,
    annotation_stats,
    entity_type_counts,
    record_problems,
)
from asknews_assets.annotation.schema import EntitySchema, EntityType, InvalidEntitySchema, load_entity_schema
from asknews_assets.annotation.spacy_labels import spacy_entity_type
from asknews_assets.annotation.spans import Alignment, Mention, Token, align_mentions, normalize_text, split_words

__all__ = [
    "PROMPT_VERSION",
    "Alignment",
    "Annotation",
    "AnnotatorUnavailable",
    "Document",
    "EntitySchema",
    "EntityType",
    "InvalidEntitySchema",
    "Mention",
    "Token",
    "align_mentions",
    "annotate_with_gliner",
    "annotate_with_llm",
    "annotate_with_spacy",
    "annotated_record",
    "annotated_rows",
    "annotation_stats",
    "entities_problem",
    "entity_messages",
    "entity_type_counts",
    "load_entity_schema",
    "load_spacy",
    "normalize_text",
    "parse_entities",
    "record_problems",
    "spacy_entity_type",
    "spacy_model_name",
    "split_words",
]
