"""Topic labels: the keyword label every topic has, and a short name asked of an LLM.

The `topic_labeler` resources (`asknews_assets.resources.topics`) stay thin around these functions.
An LLM answer is cleaned and checked (`topic_label_problem`) and retried by the client while it is
unusable; a topic whose answer stays unusable keeps its keyword label with the reason recorded
beside it, so a flaky endpoint costs a nicer name, never a topic, and never silently. Change
PROMPT_VERSION whenever the prompt or the checks change: it is part of the cache key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from asknews_assets.llm import ChatClient, ChatRequest, LLMCache, complete_many_cached
from asknews_assets.llm.answers import looks_like_refusal
from asknews_assets.summaries.prompt import truncate_words
from asknews_assets.topics.describe import TopicDescription, TopicLabel, keyword_label

PROMPT_VERSION = "topic-label-v1"
KEYWORDS = "keywords"
LLM = "llm"
MAX_LABEL_WORDS = 8
MAX_LABEL_CHARS = 80

SYSTEM_PROMPT = "You name clusters of news articles for people browsing a news dataset. You answer with the name only."

USER_TEMPLATE = """Name the news topic below in English, in 2 to {max_words} words.
- Name what the articles share, not the details of one article.
- Answer with the name only: no quotes, no preamble, no final full stop.

Keywords: {keywords}
Articles from: {countries}
A representative article: {summary}"""

_PREAMBLE = re.compile(r"^\s*(?:\*\*)?(?:topic name|topic|label|name|title)\s*:\s*(?:\*\*)?\s*", re.IGNORECASE)
_WRAPPING = "\"'`*“”‘’«» "


def keyword_labels(topics: Sequence[TopicDescription], n_keywords: int) -> dict[int, TopicLabel]:
    return {t.topic_id: TopicLabel(keyword_label(t.keywords, n_keywords), KEYWORDS) for t in topics}


def topic_label_messages(topic: TopicDescription, max_summary_words: int = 120) -> list[dict[str, str]]:
    countries = ", ".join(f"{code} ({count})" for code, count in topic.countries[:8]) or "unknown"
    user = USER_TEMPLATE.format(
        max_words=MAX_LABEL_WORDS - 2,
        keywords=", ".join(topic.keywords) or "(none)",
        countries=countries,
        summary=truncate_words(" ".join(topic.representative_summary.split()), max_summary_words) or "(none)",
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def clean_topic_label(answer: str) -> str:
    """The name alone: its first non-empty line, without a "Topic:" preamble, quotes or final full stop."""
    line = next((line for line in answer.splitlines() if line.strip()), "")
    line = _PREAMBLE.sub("", line, count=1).strip(_WRAPPING).rstrip(".").strip(_WRAPPING)
    return " ".join(line.split())


def topic_label_problem(answer: str) -> str | None:
    """Why an answer cannot be a topic label ('empty_answer', 'refusal', 'too_long'), or None."""
    label = clean_topic_label(answer)
    if not label:
        return "empty_answer"
    if looks_like_refusal(label):
        return "refusal"
    if len(label.split()) > MAX_LABEL_WORDS or len(label) > MAX_LABEL_CHARS:
        return "too_long"
    return None


def label_topics_with_llm(
    client: ChatClient,
    topics: Sequence[TopicDescription],
    *,
    cache: LLMCache,
    n_keywords: int,
    flush_every: int = 32,
) -> dict[int, TopicLabel]:
    """An LLM label for every topic, through the warehouse cache; the keyword label where none is usable."""
    requests = [ChatRequest(str(t.topic_id), topic_label_messages(t)) for t in topics]
    completions = complete_many_cached(
        client,
        requests,
        cache=cache,
        prompt_version=PROMPT_VERSION,
        validate=topic_label_problem,
        flush_every=flush_every,
    )
    fallback = keyword_labels(topics, n_keywords)
    labels = {}
    for topic, completion in zip(topics, completions):
        if completion.ok:
            labels[topic.topic_id] = TopicLabel(clean_topic_label(completion.text or ""), LLM)
        else:
            labels[topic.topic_id] = TopicLabel(fallback[topic.topic_id].label, KEYWORDS, completion.failure)
    return labels
