"""Topic keywords by class-based TF-IDF (as in BERTopic): each topic's documents are one document.

A term scores high for a topic when it is frequent in that topic (term frequency, normalised by
the topic's length) and rare across all topics (idf = log(1 + average words per topic / the
term's frequency over all topics)), so words every topic shares ("said", "year") sink.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Words of two or more letters: drops numbers, dates and punctuation-only tokens from keywords.
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


def class_tfidf_keywords(documents: Sequence[str], topics: Sequence[int], top_n: int = 10) -> dict[int, list[str]]:
    """The `top_n` keywords of every topic id in `topics` (one topic id per document)."""
    from sklearn.feature_extraction.text import CountVectorizer

    topic_ids = sorted(set(int(t) for t in topics))
    joined = {topic: [] for topic in topic_ids}
    for document, topic in zip(documents, topics, strict=True):
        joined[int(topic)].append(document or "")
    vectorizer = CountVectorizer(stop_words="english", token_pattern=TOKEN_PATTERN, lowercase=True)
    try:
        counts = vectorizer.fit_transform([" ".join(joined[topic]) for topic in topic_ids]).toarray().astype(float)
    except ValueError:  # empty vocabulary: no document has a word that is not a stop word
        return {topic: [] for topic in topic_ids}
    terms = vectorizer.get_feature_names_out()

    words_per_topic = counts.sum(axis=1, keepdims=True)
    term_frequency = np.divide(counts, words_per_topic, out=np.zeros_like(counts), where=words_per_topic > 0)
    idf = np.log(1 + words_per_topic.mean() / counts.sum(axis=0))
    scores = term_frequency * idf

    keywords = {}
    for row, topic in enumerate(topic_ids):
        present = np.flatnonzero(counts[row])
        # Highest score first, ties broken alphabetically so the keywords are deterministic.
        ranked = sorted(present, key=lambda column: (-scores[row, column], terms[column]))
        keywords[topic] = [str(terms[column]) for column in ranked[:top_n]]
    return keywords
