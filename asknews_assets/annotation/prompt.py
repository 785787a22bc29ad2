"""The entity-extraction prompt and the parsing of its JSON answers.

The model lists each entity's exact text and a type from the schema; grounding the texts in the
tokens is done afterwards (`spans.align_mentions`), so a model never has to count tokens or
characters. Change PROMPT_VERSION whenever the prompt or the parsing changes: it is part of the
LLM cache key (the schema itself is in the messages, so a schema change is a new input anyway).
"""

from __future__ import annotations

import json
import re
from typing import Any

from asknews_assets.annotation.schema import EntitySchema
from asknews_assets.annotation.spans import Mention

PROMPT_VERSION = "entities-v1"

SYSTEM_PROMPT = (
    "You are a meticulous annotator of named entities in English news text, building training data for"
    " named-entity recognition models. You answer with JSON only."
)

USER_TEMPLATE = """Find every named entity in the text below and give each one a type from this list (type: description):
{types}

Rules:
- Copy each entity's text exactly as it is written in the text: same words, same spelling, same case. Never translate, expand, shorten or correct it.
- Use only the types listed above, written exactly as listed; choose the most specific type that fits.
- List each distinct entity once, even if it occurs several times.
- Do not list pronouns or generic phrases such as "the company" or "officials".

Answer with a JSON object and nothing else, in this form:
{{"entities": [{{"text": "Joe Biden", "type": "person"}}, {{"text": "Kyiv", "type": "city"}}]}}
If the text has no entities, answer {{"entities": []}}.

Text:
{text}"""

# Problems that make an answer unusable; the client retries on them.
INVALID_JSON = "invalid_json"
NO_ENTITY_LIST = "no_entity_list"
INVALID_ENTITY = "invalid_entity"
ANSWER_TOO_LARGE = "answer_too_large"
TOO_DEEP = "json_too_deep"
TOO_MANY_ENTITIES = "too_many_entities"

# Bounds of a usable answer. A summary of a few hundred words names tens of entities; the JSON the
# prompt asks for is 3 levels deep. Anything beyond is a runaway or hostile answer, failed with its
# reason before it is parsed in full.
MAX_ANSWER_CHARS = 200_000
MAX_JSON_DEPTH = 8
MAX_ENTITIES = 500
MAX_ENTITY_CHARS = 300

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_TEXT_KEYS = ("text", "entity", "name")
_TYPE_KEYS = ("type", "label", "entity_type")


class AnswerFormatError(ValueError):
    """An answer that is not the JSON the prompt asks for; `args[0]` is one of the problem codes above."""


def entity_messages(text: str, schema: EntitySchema) -> list[dict[str, str]]:
    types = "\n".join(f"- {t.name}: {t.description}" if t.description else f"- {t.name}" for t in schema)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": USER_TEMPLATE.format(types=types, text=text.strip())},
    ]


_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _check_depth(body: str, start: int) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before decoding it (the decoder recurses)."""
    depth = 0
    for match in _STRUCTURE.finditer(body, start):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise AnswerFormatError(TOO_DEEP)
        elif token in "]}":
            depth -= 1
            if depth <= 0:
                return


def _json_value(answer: str) -> Any:
    """The JSON value that starts at the answer's first brace or bracket (inside a ```json fence, or
    after a preamble); a truncated or malformed one is invalid, not searched for smaller pieces."""
    if len(answer) > MAX_ANSWER_CHARS:
        raise AnswerFormatError(ANSWER_TOO_LARGE)
    fenced = _FENCE.search(answer)
    body = fenced.group(1) if fenced else answer
    start = next((i for i, char in enumerate(body) if char in "{["), None)
    if start is None:
        raise AnswerFormatError(INVALID_JSON)
    _check_depth(body, start)
    try:
        return json.JSONDecoder().raw_decode(body, start)[0]
    except (ValueError, RecursionError):
        raise AnswerFormatError(INVALID_JSON) from None


def _field(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_ENTITY_CHARS:
            return value.strip()
    raise AnswerFormatError(INVALID_ENTITY)


def parse_entities(answer: str) -> list[Mention]:
    """The mentions of an answer (`{"entities": [{"text", "type"}]}` or a bare list); raises AnswerFormatError."""
    value = _json_value(answer)
    items = value.get("entities") if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise AnswerFormatError(NO_ENTITY_LIST)
    if len(items) > MAX_ENTITIES:
        raise AnswerFormatError(TOO_MANY_ENTITIES)
    mentions = []
    for item in items:
        if not isinstance(item, dict):
            raise AnswerFormatError(INVALID_ENTITY)
        mentions.append(Mention(_field(item, _TEXT_KEYS), _field(item, _TYPE_KEYS)))
    return mentions


def entities_problem(answer: str) -> str | None:
    """The client's validator: why an answer cannot be parsed, or None when it can."""
    try:
        parse_entities(answer)
    except AnswerFormatError as error:
        return str(error)
    return None
