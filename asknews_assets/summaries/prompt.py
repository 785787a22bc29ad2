"""The summary prompt and what makes an LLM answer usable as a summary.

The summaries feed entity annotation, so the prompt insists on keeping every named entity as
written and on adding nothing. Change PROMPT_VERSION whenever the prompt or the checks change: it
is part of the cache key, so old answers are not reused for a new prompt.
"""

from __future__ import annotations

import re

from asknews_assets.llm.answers import looks_like_refusal

PROMPT_VERSION = "summary-v1"

SYSTEM_PROMPT = (
    "You are a news editor who writes factual, neutral summaries of news articles in English. "
    "You never add information that is not in the article."
)

USER_TEMPLATE = """Summarize the news article below in English, in at most {max_words} words.
- Keep every named entity (people, organizations, places, products, events, laws), date and figure that
  matters, written exactly as in the article.
- State facts only: no opinions, no speculation, nothing that is not in the article.
- Answer with the summary only, as plain prose: no title, no preamble, no bullet points.

Title: {title}

Article:
{text}"""

_PREAMBLE = re.compile(
    r"^\s*(?:\*\*)?(?:here is (?:a|the) summary[^:\n]*|summary)\s*:?(?:\*\*)?\s*:?\s*", re.IGNORECASE
)
MIN_SUMMARY_WORDS = 5
# An answer far over the budget the prompt asked for is not a summary (a model that ran on, or
# repeated the article): refused, not truncated, so the failure is visible.
OVER_BUDGET_FACTOR = 2
MAX_SUMMARY_WORDS = 1_000  # when the budget is not known
MAX_WORD_CHARS = 40  # on average: bounds the bytes too (a "word" of a megabyte has no spaces)


def truncate_words(text: str, max_words: int) -> str:
    words = text.split()
    return text if len(words) <= max_words else " ".join(words[:max_words]) + " …"


def summary_messages(title: str, text: str, max_words: int, max_input_words: int) -> list[dict[str, str]]:
    """Chat messages asking for the summary of one article (cut to `max_input_words` to fit the context)."""
    article = truncate_words(text.strip(), max_input_words)
    user = USER_TEMPLATE.format(max_words=max_words, title=title.strip() or "(none)", text=article)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def clean_summary(answer: str) -> str:
    """The answer without a "Summary:"-style preamble, on one line."""
    return " ".join(_PREAMBLE.sub("", answer, count=1).split())


def summary_problem(answer: str, max_words: int | None = None) -> str | None:
    """Why an answer cannot be stored as a summary ('empty_answer', 'refusal', 'too_short', 'too_long'), or None.

    'too_long': more than OVER_BUDGET_FACTOR x `max_words` words (the budget the prompt gave), or
    characters beyond MAX_WORD_CHARS per allowed word.
    """
    limit = max_words * OVER_BUDGET_FACTOR if max_words else MAX_SUMMARY_WORDS
    if len(answer) > limit * MAX_WORD_CHARS * 2:  # not worth cleaning
        return "too_long"
    summary = clean_summary(answer)
    if not summary:
        return "empty_answer"
    if looks_like_refusal(summary):
        return "refusal"
    words = len(summary.split())
    if words < MIN_SUMMARY_WORDS:
        return "too_short"
    if words > limit or len(summary) > limit * MAX_WORD_CHARS:
        return "too_long"
    return None
