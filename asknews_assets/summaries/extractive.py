"""An extractive summary that needs no model: the article's most representative sentences.

Sentences are scored by how frequent their content words are in the article (words of the title
count double: headlines name what the story is about), plus a bonus for coming early, since news
puts the key facts first. The best sentences that fit a word budget are kept in their original
order. Deterministic: ties go to the earlier sentence.
"""

from __future__ import annotations

import re
from collections import Counter

EXTRACTIVE_VERSION = "extractive-v1"

# Sentence ends: . ! ? (or an ellipsis) and closing quotes/brackets, then space and a capital,
# digit or opening quote. Abbreviations such as "Mr." or "U.S." before a capital are kept whole.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ])")
_TITLES = "Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Rep|Sen|Gov|Inc|Ltd|Co|Corp|vs"
_ABBREVIATION = re.compile(rf"(?:\b(?:{_TITLES})|\b[A-Z](?:\.[A-Z])*)\.$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours yourself yourselves
    said says say according told one two new""".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, paragraph breaks included; abbreviations do not end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*", text):
        pending = ""
        for piece in _SENTENCE_END.split(paragraph.strip()):
            pending = f"{pending} {piece}" if pending else piece
            if not _ABBREVIATION.search(pending.rstrip("\"'”’)]")):
                sentences.append(pending)
                pending = ""
        if pending:
            sentences.append(pending)
    return [s.strip() for s in sentences if s.strip()]


def _content_words(text: str) -> list[str]:
    return [w for w in (m.group().lower() for m in _WORD.finditer(text)) if w not in STOPWORDS and not w.isdigit()]


def _word_count(text: str) -> int:
    return len(text.split())


def extractive_summary(text: str, title: str = "", max_words: int = 80, position_weight: float = 0.3) -> str:
    """The top-scoring sentences of `text` within `max_words`, in their original order.

    If even the best sentence is longer than the budget, it is cut at the budget (with an ellipsis).
    """
    sentences = split_sentences(text)
    if not sentences or max_words < 1:
        return ""
    frequencies = Counter(_content_words(text))
    for word in set(_content_words(title)):
        frequencies[word] *= 2
    top = max(frequencies.values(), default=1)

    def score(index: int, sentence: str) -> float:
        words = _content_words(sentence)
        # Mean rather than sum, so long sentences do not win by length alone.
        relevance = sum(frequencies[w] for w in words) / top / len(words) if words else 0.0
        return relevance + position_weight / (1 + index)

    ranked = sorted(range(len(sentences)), key=lambda i: (-score(i, sentences[i]), i))
    chosen: list[int] = []
    budget = max_words
    for index in ranked:
        length = _word_count(sentences[index])
        if length <= budget:
            chosen.append(index)
            budget -= length
    if not chosen:
        words = sentences[ranked[0]].split()
        return " ".join(words[:max_words]) + "…"
    return " ".join(sentences[i] for i in sorted(chosen))
