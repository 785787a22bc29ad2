"""Summaries of a batch of articles, by an LLM or extractively, as `Completion`s keyed by article id.

Either way every article comes out as a summary or a failure with a reason (an article without
text fails as 'no_text' without any call), so summarised + failed = articles always holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

from asknews_assets.llm import ChatClient, ChatRequest, Completion, LLMCache, complete_many_cached
from asknews_assets.summaries.extractive import EXTRACTIVE_VERSION, extractive_summary
from asknews_assets.summaries.prompt import PROMPT_VERSION, clean_summary, summary_messages, summary_problem

NO_TEXT = "no_text"


@dataclass(frozen=True)
class ArticleText:
    article_id: str
    title: str
    text: str


def _no_text(article: ArticleText) -> Completion:
    return Completion(article.article_id, None, NO_TEXT, 0, "")


def summarize_with_llm(
    client: ChatClient,
    articles: Sequence[ArticleText],
    *,
    cache: LLMCache,
    max_words: int,
    max_input_words: int,
    flush_every: int = 32,
) -> list[Completion]:
    """LLM summaries through the warehouse cache; answers are cleaned of preambles."""
    requests = [
        ChatRequest(a.article_id, summary_messages(a.title, a.text, max_words, max_input_words))
        for a in articles
        if a.text.strip()
    ]
    completions = complete_many_cached(
        client,
        requests,
        cache=cache,
        prompt_version=PROMPT_VERSION,
        validate=partial(summary_problem, max_words=max_words),
        flush_every=flush_every,
    )
    by_id = {c.key: c for c in completions}
    results = []
    for article in articles:
        completion = by_id.get(article.article_id) or _no_text(article)
        if completion.ok:
            completion = replace(completion, text=clean_summary(completion.text or ""))
        results.append(completion)
    return results


def summarize_extractively(articles: Sequence[ArticleText], *, max_words: int) -> list[Completion]:
    """Extractive summaries; the input hash covers the algorithm version, the budget and the article."""
    results = []
    for article in articles:
        summary = extractive_summary(article.text, article.title, max_words=max_words)
        if not summary:
            results.append(_no_text(article))
            continue
        identity = json.dumps([EXTRACTIVE_VERSION, max_words, article.title, article.text], ensure_ascii=False)
        input_hash = hashlib.sha256(identity.encode("utf-8")).hexdigest()
        results.append(Completion(article.article_id, summary, None, 0, input_hash))
    return results
