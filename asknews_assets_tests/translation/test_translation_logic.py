"""Translation logic without a model: segmentation, batching, language tokens, language ID, chrF,
table rows, and the source-provided backend without a fallback."""

import pytest

from asknews_assets.partitions import ArticlePartition
from asknews_assets.resources.translation import (
    CTranslate2Translator,
    SourceEnglishMissing,
    SourceProvidedTranslator,
)
from asknews_assets.translation import models
from asknews_assets.translation.articles import (
    ArticleTranslation,
    SourceArticle,
    failure_rows,
    partition_translation,
    translation_rows,
    translation_stats,
)
from asknews_assets.translation.language_id import LanguageGuess, identify_language, normalize_language
from asknews_assets.translation.languages import LanguageTokens, UnsupportedLanguage, language_tokens
from asknews_assets.translation.models import LoadedModel, TranslationModelUnavailable, cache_name, prepare_model
from asknews_assets.translation.quality import corpus_chrf, sentence_chrf
from asknews_assets.translation.segments import map_length_sorted, segment
from asknews_assets.resources import build_resources
from asknews_assets.settings import Settings

ARTICLE_TEXT = (
    "El Sr. López llegó a Monterrey el 3. de marzo. Luego habló con J. Smith en EE. UU. sobre el agua!\n"
    "¿Habrá lluvia? Nadie lo sabe.\n"
    "Fin."
)


def test_segment_cuts_sentences_within_paragraphs_and_keeps_the_layout():
    text = segment(ARTICLE_TEXT)
    assert text.segments == (
        "El Sr. López llegó a Monterrey el 3. de marzo.",
        "Luego habló con J. Smith en EE. UU. sobre el agua!",
        "¿Habrá lluvia?",
        "Nadie lo sabe.",
        "Fin.",
    )
    assert text.reassemble(text.segments) == ARTICLE_TEXT
    assert text.reassemble([str(i) for i in range(5)]) == "0 1\n2 3\n4"


@pytest.mark.parametrize("text", ["", "  \n\n ", "  Una frase sin punto  ", "a.\n\n\nB. c. D!"])
def test_segment_round_trips_any_spacing(text):
    segmented = segment(text)
    assert segmented.reassemble(segmented.segments) == text
    assert all(s == s.strip() and s for s in segmented.segments)


def test_segment_cuts_overlong_sentences_at_spaces():
    sentence = " ".join(["palabra"] * 50)
    segmented = segment(sentence, max_chars=40)
    assert all(len(s) <= 40 for s in segmented.segments) and len(segmented.segments) > 1
    assert segmented.reassemble(segmented.segments) == sentence
    assert segment("x" * 90, max_chars=40).segments == ("x" * 40, "x" * 40, "x" * 10)


def test_reassemble_needs_one_translation_per_segment():
    with pytest.raises(ValueError, match="expected 5"):
        segment(ARTICLE_TEXT).reassemble(["one"])


def test_map_length_sorted_batches_longest_first_and_returns_input_order():
    items = ["ccc", "a", "eeeee", "bb", "dddd", "ffffff", "g"]
    batches = []

    def upper(batch):
        batches.append(batch)
        return [item.upper() for item in batch]

    assert map_length_sorted(items, upper, batch_size=3) == [item.upper() for item in items]
    assert batches == [["ffffff", "eeeee", "dddd"], ["ccc", "bb", "a"], ["g"]]
    with pytest.raises(ValueError, match="returned 1 results for 3"):
        map_length_sorted(items, lambda batch: batch[:1], batch_size=3)


def test_language_tokens_per_model_family():
    assert language_tokens("opus-mt", "es") == LanguageTokens()
    assert language_tokens("nllb", "no") == LanguageTokens(("nob_Latn",), ("eng_Latn",))
    assert language_tokens("nllb", "ar") == LanguageTokens(("arb_Arab",), ("eng_Latn",))
    assert language_tokens("m2m100", "uk") == LanguageTokens(("__uk__",), ("__en__",))
    with pytest.raises(UnsupportedLanguage):
        language_tokens("nllb", "xx")


class _SpaceTokenizer:
    """Just enough of a transformers tokenizer: words are tokens."""

    eos_token = "</s>"
    all_special_tokens = ["</s>", "<unk>", "<pad>"]

    def tokenize(self, text):
        return text.split()

    def convert_tokens_to_string(self, tokens):
        return " ".join(tokens)


def test_multilingual_tokens_frame_source_and_are_stripped_from_the_output():
    model = LoadedModel(translator=None, tokenizer=_SpaceTokenizer())
    tokens = language_tokens("nllb", "es")
    assert model.tokenize("hola mundo", tokens) == ["spa_Latn", "hola", "mundo", "</s>"]
    assert model.detokenize(["eng_Latn", "hello", "<pad>", "world"], tokens) == "hello world"
    assert model.detokenize(["hello", "eng_Latn"], tokens) == "hello eng_Latn"  # only a leading prefix goes
    assert model.tokenize("hola", LanguageTokens()) == ["hola", "</s>"]


def test_language_identification_maps_norwegian_and_handles_no_letters():
    assert normalize_language("nb") == normalize_language("nn") == "no"
    norwegian = identify_language("Regjeringen la fram statsbudsjettet i dag, og finansministeren sa at inflasjonen er på vei ned.")
    assert norwegian.language == "no" and norwegian.matches("no")
    spanish = identify_language("El gobierno presentó hoy el presupuesto para el año próximo en la capital.")
    assert spanish.language == "es" and 0.5 < spanish.confidence <= 1.0
    assert not spanish.matches("pt")
    assert identify_language("12 345 !!") == identify_language("") == LanguageGuess(None, 0.0)


def test_chrf():
    assert sentence_chrf("the cat sat", "the cat sat") == pytest.approx(100.0)
    assert 0 < sentence_chrf("the cat sits", "the cat sat") < 100
    assert corpus_chrf([], []) is None
    assert corpus_chrf(["a b c", "d e"], ["a b c", "d e"]) == pytest.approx(100.0)
    with pytest.raises(ValueError):
        corpus_chrf(["a"], [])


ES = ArticlePartition("MX", "es")
WITH_ENGLISH = SourceArticle("a1", "Titular", "El gobierno presentó hoy el presupuesto nacional.", "Headline", "The government presented the national budget today.")
WITHOUT_ENGLISH = SourceArticle("a2", "Otro titular", "La ciudad sufre una sequía sin precedentes este año.")
UNTITLED = SourceArticle("a3", "", "Los agricultores bloquearon las carreteras con tractores.", None, "Farmers blocked the roads.")
ENGLISH_TEXT = SourceArticle("a4", "Title", "The farmers blocked the roads with their tractors again this morning.", "Title", "Same.")


def test_source_english_needs_text_and_title():
    assert WITH_ENGLISH.has_source_english and UNTITLED.has_source_english
    assert not WITHOUT_ENGLISH.has_source_english
    assert not SourceArticle("x", "Titular", "Texto.", None, "Text.").has_source_english


def test_source_provided_translator_uses_the_sources_english():
    translations = SourceProvidedTranslator().translate_articles([WITH_ENGLISH, UNTITLED], "es")
    assert [(t.title_en, t.text_en, t.backend, t.model, t.machine_text_en) for t in translations] == [
        ("Headline", "The government presented the national budget today.", "source-provided", None, None),
        ("", "Farmers blocked the roads.", "source-provided", None, None),
    ]


def test_source_provided_translator_without_fallback_refuses_missing_english():
    translator = SourceProvidedTranslator(fallback=None)
    with pytest.raises(SourceEnglishMissing, match=r"1 article.*\['a2'\].*ASKNEWS_MISSING_ENGLISH.*'skip'.*'machine'"):
        translator.translate_articles([WITH_ENGLISH, WITHOUT_ENGLISH], "es")
    with pytest.raises(SourceEnglishMissing, match="chrF.*ASKNEWS_MISSING_ENGLISH=machine"):
        translator.translate_articles([WITH_ENGLISH], "es", machine_translate_all=True)
    with pytest.raises(SourceEnglishMissing, match="no translation model is configured.*ASKNEWS_MISSING_ENGLISH=machine"):
        translator.translate_articles([WITHOUT_ENGLISH], "es", missing_english="machine")


def test_skip_gives_a_failure_with_a_reason_instead_of_english():
    translations = SourceProvidedTranslator(missing_english="skip").translate_articles([WITH_ENGLISH, WITHOUT_ENGLISH], "es")
    assert [t.ok for t in translations] == [True, False]
    assert translations[1].backend == "untranslated" and "no source-provided English" in translations[1].failure
    partition = ArticlePartition("MX", "es")
    rows = translation_rows(partition, [WITH_ENGLISH, WITHOUT_ENGLISH], translations)
    assert [r["article_id"] for r in rows] == ["a1"]  # the failure is not passed off as a translation
    assert failure_rows(partition, translations) == [
        {"country": "MX", "language": "es", "article_id": "a2", "reason": translations[1].failure}
    ]
    assert translation_stats(rows, [WITH_ENGLISH, WITHOUT_ENGLISH], translations).counts["failed"] == 1
    written = partition_translation(partition, [WITH_ENGLISH, WITHOUT_ENGLISH], translations)
    assert (written.rows, written.failures) == (rows, failure_rows(partition, translations))


def test_missing_english_setting_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASKNEWS_MISSING_ENGLISH", "skip")
    assert build_resources(Settings.from_env(deployment="local"))["translator"].missing_english == "skip"
    monkeypatch.setenv("ASKNEWS_MISSING_ENGLISH", "machine")
    machine = build_resources(Settings.from_env(deployment="local"))["translator"]
    assert machine.missing_english == "machine" and isinstance(machine.fallback, CTranslate2Translator)
    monkeypatch.setenv("ASKNEWS_MISSING_ENGLISH", "maybe")
    with pytest.raises(ValueError, match="ASKNEWS_MISSING_ENGLISH must be one of"):
        build_resources(Settings.from_env(deployment="local"))


def test_a_hub_model_fails_at_once_in_offline_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setattr(models, "_convert", lambda *args: pytest.fail("no download may be tried offline"))
    with pytest.raises(TranslationModelUnavailable, match="offline mode is on \\(HF_HUB_OFFLINE\\)"):
        prepare_model("Helsinki-NLP/opus-mt-es-en", tmp_path / "ct2", "int8")
    translator = CTranslate2Translator(cache_dir=str(tmp_path / "ct2"))
    with pytest.raises(TranslationModelUnavailable, match="HF_HUB_OFFLINE.*CTranslate2Translator.models"):
        translator.translate_texts(["Hola."], "es")


def test_english_passes_through_both_backends_without_a_model():
    english = [SourceArticle("e1", "Budget day", "The budget was presented.")]
    for translator in (SourceProvidedTranslator(), CTranslate2Translator(models={})):
        [translation] = translator.translate_articles(english, "en", machine_translate_all=True)
        assert (translation.title_en, translation.text_en, translation.backend) == ("Budget day", "The budget was presented.", "passthrough")
    assert CTranslate2Translator(models={}).translate_texts(["Hello.", "World"], "en") == ["Hello.", "World"]
    assert CTranslate2Translator(models={}).translate_articles([], "es") == []  # no model needed for nothing


def test_rows_record_chrf_only_where_machine_and_source_english_both_exist():
    articles = [WITH_ENGLISH, WITHOUT_ENGLISH, ENGLISH_TEXT]
    translations = [
        ArticleTranslation("a1", "Headline", WITH_ENGLISH.eng_text, "source-provided", "opus", "The government presented the budget."),
        ArticleTranslation("a2", "Other", "The city suffers a drought.", "ctranslate2", "opus", "The city suffers a drought."),
        ArticleTranslation("a4", "Title", "Same.", "source-provided"),
    ]
    rows = translation_rows(ES, articles, translations)
    assert [r["article_id"] for r in rows] == ["a1", "a2", "a4"]
    assert rows[0]["chrf"] == pytest.approx(sentence_chrf("The government presented the budget.", WITH_ENGLISH.eng_text))
    assert rows[1]["chrf"] is None and rows[2]["chrf"] is None
    assert [r["language_matches"] for r in rows] == [True, True, False]
    assert rows[2]["detected_language"] == "en" and rows[0]["country"] == "MX"

    summary = translation_stats(rows, articles, translations)
    assert summary.counts == {
        "articles": 3, "translated": 3, "passed_through_english": 0, "source_provided": 2, "machine_translated": 1, "failed": 0,
    }  # fmt: skip
    assert summary.models == ["opus"] and summary.chrf_articles == 1
    assert summary.corpus_chrf == pytest.approx(rows[0]["chrf"], abs=0.01)
    assert [m["article_id"] for m in summary.language_mismatches] == ["a4"]
    assert [(p["article_id"], p["translation_backend"]) for p in summary.preview] == [
        ("a1", "source-provided"), ("a2", "ctranslate2"), ("a4", "source-provided"),
    ]  # fmt: skip

    with pytest.raises(ValueError, match="one to one"):
        translation_rows(ES, articles, translations[::-1])


def test_cache_names_are_safe_folder_names(tmp_path):
    assert cache_name("Helsinki-NLP/opus-mt-es-en", "int8") == "Helsinki-NLP--opus-mt-es-en--int8"
    local = tmp_path / "my model"
    local.mkdir()
    first = cache_name(str(local), "int8")
    assert first.startswith("my_model-") and first.endswith("--int8")
    (local / "config.json").write_text("{}")
    assert cache_name(str(local), "int8") != first  # a changed folder is converted again


def test_unconvertible_models_fail_with_the_setting_to_change(tmp_path, monkeypatch):
    class OfflineConverter:
        def __init__(self, *args, **kwargs):
            raise OSError("We couldn't connect to the Hub")

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # online mode: the conversion is tried, and fails
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(models, "converter_class", lambda: OfflineConverter)
    with pytest.raises(TranslationModelUnavailable, match="couldn't connect"):
        prepare_model("Helsinki-NLP/opus-mt-es-en", tmp_path, "int8")
    assert not any(tmp_path.iterdir())  # no half-written model left behind

    translator = CTranslate2Translator(cache_dir=str(tmp_path))
    with pytest.raises(TranslationModelUnavailable, match=r"opus-mt-de-en.*CTranslate2Translator\.models"):
        translator.translate_texts(["Guten Tag."], "de")
    with pytest.raises(TranslationModelUnavailable, match=r"multilingual_model"):
        CTranslate2Translator(family="nllb", cache_dir=str(tmp_path)).translate_texts(["Hola."], "es")
    with pytest.raises(TranslationModelUnavailable, match=r"'xx'.*CTranslate2Translator\.models"):
        translator.translate_texts(["?"], "xx")
    with pytest.raises(TranslationModelUnavailable, match="does not exist"):
        prepare_model(str(tmp_path / "missing" / "model"), tmp_path, "int8")


def test_build_resources_for_each_deployment(monkeypatch):
    local = build_resources(Settings.from_env(deployment="local"))["translator"]
    assert isinstance(local, SourceProvidedTranslator) and local.fallback is None
    monkeypatch.setenv("ASKNEWS_CT2_CACHE_DIR", "/tmp/ct2-cache")
    monkeypatch.setenv("ASKNEWS_CT2_COMPUTE_TYPE", "int8_float32")
    production = build_resources(Settings.from_env(deployment="production"))["translator"]
    assert isinstance(production, CTranslate2Translator)
    assert (production.cache_dir, production.compute_type, production.quantization) == ("/tmp/ct2-cache", "int8_float32", "int8")
    assert production.model_reference("es") == "Helsinki-NLP/opus-mt-es-en"
    assert production.model_reference("pt") == "Helsinki-NLP/opus-mt-ROMANCE-en"
