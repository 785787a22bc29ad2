"""Class-based TF-IDF keywords, representatives, topic tables and the keyword labeler."""

import numpy as np
import pandas as pd

from asknews_assets.topics.clustering import NOISE
from asknews_assets.topics.describe import (
    NOISE_LABEL,
    describe_topics,
    keyword_label,
    representative_rows,
    spread,
    topic_tables,
)
from asknews_assets.topics.keywords import class_tfidf_keywords
from asknews_assets.resources.topics import KeywordTopicLabeler
from asknews_assets.topics.labeling import KEYWORDS


def test_keywords_favour_words_distinctive_of_a_topic():
    documents = [
        "The reservoir is low and water rationing began, officials said.",
        "Water rationing spreads as the reservoir dries, officials said.",
        "Dengue cases rise; the vaccine reaches hospitals, officials said.",
        "A dengue vaccine for hospitals, officials said on 12 March 2024.",
    ]
    keywords = class_tfidf_keywords(documents, [0, 0, 1, 1], top_n=3)
    assert set(keywords[0]) == {"reservoir", "water", "rationing"}
    assert set(keywords[1]) <= {"dengue", "vaccine", "hospitals", "cases"} and "dengue" in keywords[1]
    everything = class_tfidf_keywords(documents, [0, 0, 1, 1], top_n=50)
    # Words every topic shares rank below the topic's own repeated words; stop words and numbers never appear.
    assert min(everything[0].index("officials"), everything[0].index("said")) > 2
    assert not {"the", "and", "is", "12", "2024", "on"} & set(everything[1])


def test_keywords_are_deterministic_and_cope_with_empty_text():
    assert class_tfidf_keywords(["", "the and of"], [0, 1]) == {0: [], 1: []}
    documents = ["alpha beta", "beta gamma", "gamma delta"]
    assert class_tfidf_keywords(documents, [0, 1, 2]) == class_tfidf_keywords(documents, [0, 1, 2])
    # A tie in score is broken alphabetically.
    assert class_tfidf_keywords(["zeta alpha"], [0])[0] == ["alpha", "zeta"]


def test_the_representative_is_the_article_closest_to_the_centroid():
    embeddings = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
    labels = np.array([0, 0, 0, 1, NOISE])
    assert representative_rows(embeddings, labels) == {0: 1, 1: 3, NOISE: 4}


def test_spread_orders_by_count_then_code():
    assert spread(["FR", "US", "US", "BR", "FR", "US"]) == (("US", 3), ("FR", 2), ("BR", 1))
    assert spread(["FR", "BR"]) == (("BR", 1), ("FR", 1))


def test_topic_tables_label_noise_and_carry_the_spread():
    articles = pd.DataFrame(
        {
            "article_id": ["a", "b", "c", "d"],
            "country": ["US", "FR", "US", "DE"],
            "language": ["en", "fr", "en", "de"],
            "summary": ["water reservoir", "water rationing", "dengue vaccine", "misc"],
        }
    )
    embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    labels = np.array([0, 0, 1, NOISE])
    descriptions = describe_topics(articles, embeddings, labels, n_keywords=5)
    assert [d.topic_id for d in descriptions] == [NOISE, 0, 1]
    water = descriptions[1]
    assert water.size == 2 and water.keywords[0] == "water" and water.countries == (("FR", 1), ("US", 1))
    assert water.representative_summary in {"water reservoir", "water rationing"}

    named = KeywordTopicLabeler(n_keywords=2).label_topics([d for d in descriptions if not d.is_noise])
    assert {label.source for label in named.values()} == {KEYWORDS}
    names = {topic_id: label.label for topic_id, label in named.items()}
    assert set(names) == {0, 1} and names[0].startswith("water, ")
    topics, article_topics = topic_tables(articles, labels, np.array([1.0, 0.5, 1.0, 0.0]), descriptions, named)
    assert topics.set_index("topic_id").loc[NOISE, "label"] == NOISE_LABEL
    assert topics["label_source"].tolist() == ["fixed", KEYWORDS, KEYWORDS]
    assert topics["label_failure"].isna().all()
    assert topics.set_index("topic_id").loc[0, "countries"] == ["FR", "US"]
    assert article_topics["topic_label"].tolist() == [names[0], names[0], names[1], NOISE_LABEL]
    assert article_topics["probability"].tolist() == [1.0, 0.5, 1.0, 0.0]


def test_keyword_label():
    assert keyword_label(["water", "rationing", "summit", "geneva"]) == "water, rationing, summit"
    assert keyword_label([]) == "unlabelled topic"
