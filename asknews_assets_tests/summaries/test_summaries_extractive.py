"""The extractive summariser and the summary prompt's checks, as plain functions."""

from asknews_assets.summaries import (
    ArticleText,
    clean_summary,
    extractive_summary,
    split_sentences,
    summarize_extractively,
    summary_messages,
    summary_problem,
)

ARTICLE = (
    "The European Central Bank raised interest rates on Thursday in Frankfurt. "
    "Christine Lagarde said the bank would keep fighting inflation. "
    "The weather in the city was mild and sunny. "
    "Markets in Paris and Milan fell after the bank's decision on interest rates. "
    "A local bakery opened a new shop."
)


def test_sentences_split_on_ends_but_not_on_abbreviations():
    text = 'Mr. Smith met Dr. Jones in the U.S. capital. "It went well," he said! Did it?\nA new paragraph'
    assert split_sentences(text) == [
        "Mr. Smith met Dr. Jones in the U.S. capital.",
        '"It went well," he said!',
        "Did it?",
        "A new paragraph",
    ]


def test_summary_keeps_the_central_sentences_in_original_order_within_budget():
    summary = extractive_summary(ARTICLE, title="ECB raises interest rates", max_words=30)
    assert len(summary.split()) <= 30
    assert summary.startswith("The European Central Bank raised interest rates")
    assert "Markets in Paris and Milan fell" in summary
    assert "bakery" not in summary and "weather" not in summary
    # original order, whatever the scores
    assert summary.index("European Central Bank") < summary.index("Markets in Paris")


def test_summary_is_deterministic_and_the_whole_text_when_it_fits():
    assert extractive_summary(ARTICLE, max_words=25) == extractive_summary(ARTICLE, max_words=25)
    assert extractive_summary(ARTICLE, max_words=500) == ARTICLE


def test_title_words_steer_the_choice():
    text = "Farmers protested in Brussels against new rules. Tesla opened a factory in Berlin. Both events drew crowds."
    assert "Tesla" in extractive_summary(text, title="Tesla factory in Berlin", max_words=8, position_weight=0)
    assert "Farmers" in extractive_summary(text, title="Farmers protest in Brussels", max_words=8, position_weight=0)


def test_a_sentence_longer_than_the_budget_is_cut():
    text = "one two three four five six seven eight nine ten"
    assert extractive_summary(text, max_words=4) == "one two three four…"
    assert extractive_summary("", max_words=10) == "" and extractive_summary("   \n ", max_words=10) == ""


def test_batch_summaries_fail_articles_without_text():
    results = summarize_extractively([ArticleText("a", "ECB", ARTICLE), ArticleText("b", "Empty", "  ")], max_words=40)
    assert [(r.key, r.ok, r.failure, r.attempts) for r in results] == [("a", True, None, 0), ("b", False, "no_text", 0)]
    assert len(results[0].input_hash) == 64
    # the hash covers the settings: another budget is another input
    again = summarize_extractively([ArticleText("a", "ECB", ARTICLE)], max_words=41)
    assert again[0].input_hash != results[0].input_hash


def test_prompt_asks_for_an_english_summary_keeping_entities():
    system, user = summary_messages("Title X", "word " * 50, max_words=90, max_input_words=20)
    assert system["role"] == "system" and user["role"] == "user"
    assert "English" in user["content"] and "named entity" in user["content"] and "90 words" in user["content"]
    assert "Title: Title X" in user["content"]
    assert user["content"].count("word") == 20 + 1  # cut to 20 input words (+ "words" in the instructions)


def test_answers_are_cleaned_and_judged():
    assert clean_summary("Summary: The  ECB raised\nrates.") == "The ECB raised rates."
    assert clean_summary("**Here is a summary of the article:** Lagarde spoke.") == "Lagarde spoke."
    assert summary_problem("The European Central Bank raised rates on Thursday.") is None
    assert summary_problem("Summary:   ") == "empty_answer"
    assert summary_problem("I'm sorry, but I cannot summarize this article.") == "refusal"
    assert summary_problem("Rates rose.") == "too_short"
