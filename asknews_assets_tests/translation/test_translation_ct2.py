"""The CTranslate2 backend end to end on a tiny random-weight Marian model: conversion and caching,
order across length-sorted batches, sentence splitting and reassembly, multilingual tokens, and the
source-provided backend with a CTranslate2 fallback. Outputs are gibberish: the tests assert
structure, and compare with the same model translating one sentence at a time (greedy decoding is
deterministic)."""

import pytest

from asknews_assets.resources.translation import CTranslate2Translator, SourceProvidedTranslator
from asknews_assets.translation import models
from asknews_assets.translation.engine import DecodingOptions, translate_sentences
from asknews_assets.translation.languages import language_tokens
from asknews_assets.translation.models import load_model, prepare_model
from asknews_assets.translation.segments import segment
from asknews_assets_tests.support.models.tiny_marian import SPANISH, tiny_marian  # noqa: F401  (fixture)

GREEDY = {"beam_size": 1, "max_decoding_length": 8}


@pytest.fixture
def translator(tiny_marian, tmp_path):  # noqa: F811
    return CTranslate2Translator(models={"es": str(tiny_marian)}, cache_dir=str(tmp_path / "ct2"), batch_size=3, **GREEDY)


@pytest.fixture
def conversions(monkeypatch):
    """Counts the real converter's conversions."""
    calls = []

    class CountingConverter(models.converter_class()):
        def convert(self, *args, **kwargs):
            calls.append(args)
            return super().convert(*args, **kwargs)

    monkeypatch.setattr(models, "converter_class", lambda: CountingConverter)
    return calls


def _one_at_a_time(translator, sentences):
    return [translator.model_copy(update={"batch_size": 1}).translate_texts([s], "es")[0] for s in sentences]


def test_a_transformers_folder_is_converted_once_and_reused(translator, tiny_marian, tmp_path, conversions):  # noqa: F811
    first = translator.translate_texts(SPANISH[:2], "es")
    [converted] = (tmp_path / "ct2").iterdir()
    assert converted.name.startswith("hf-") and converted.name.endswith("--int8")
    assert (converted / "model.bin").is_file() and (converted / "tokenizer" / "vocab.json").is_file()
    written = (converted / "model.bin").stat().st_mtime_ns

    load_model.cache_clear()  # a new process: only the disk cache is left
    again = CTranslate2Translator(models={"es": str(tiny_marian)}, cache_dir=str(tmp_path / "ct2"), **GREEDY)
    assert again.translate_texts(SPANISH[:2], "es") == first
    assert len(conversions) == 1
    assert (converted / "model.bin").stat().st_mtime_ns == written
    assert [p.name for p in (tmp_path / "ct2").iterdir()] == [converted.name]  # no temporary folder left


def test_a_ctranslate2_folder_is_used_as_it_is(translator, tmp_path, conversions):
    expected = translator.translate_texts(SPANISH[:3], "es")
    [ct2_folder] = (tmp_path / "ct2").iterdir()
    conversions.clear()
    load_model.cache_clear()
    direct = CTranslate2Translator(models={"es": str(ct2_folder)}, cache_dir=str(tmp_path / "unused"), **GREEDY)
    assert direct.translate_texts(SPANISH[:3], "es") == expected
    assert conversions == [] and not (tmp_path / "unused").exists()


def test_length_sorted_batches_return_translations_in_input_order(translator):
    sentences = sorted(SPANISH, key=len)[::2] + sorted(SPANISH, key=len)[1::2] + ["Hola.", "Adiós, amigos míos."]
    batched = translator.translate_texts(sentences, "es")  # batch_size 3 < 10 sentences
    assert batched == _one_at_a_time(translator, sentences)
    assert len(set(batched)) >= 6  # the model tells inputs apart, so a reordering would show


def test_long_texts_are_translated_sentence_by_sentence_and_reassembled(translator):
    text = " ".join(SPANISH[:3]) + "\n" + " ".join(SPANISH[3:5]) + "\n\n" + SPANISH[5]
    segmented = segment(text)
    assert len(segmented.segments) == 6

    [translated] = translator.translate_texts([text], "es")
    sentences = _one_at_a_time(translator, segmented.segments)
    assert translated == segmented.reassemble(sentences)
    assert translated.split("\n") == [" ".join(sentences[:3]), " ".join(sentences[3:5]), "", sentences[5]]


def test_multilingual_language_tokens_reach_the_model_and_leave_the_output(tiny_marian, tmp_path):  # noqa: F811
    folder = prepare_model(str(tiny_marian), tmp_path, "int8")
    model = load_model(str(folder), "cpu", "default", 1, 1)
    tokens = language_tokens("m2m100", "es")
    source = model.tokenize(SPANISH[0], tokens)
    assert source[0] == "__es__" and source[-1] == "</s>"

    [raw] = model.translator.translate_batch([source], target_prefix=[["__en__"]], beam_size=1, max_decoding_length=8)
    assert raw.hypotheses[0][0] == "__en__"
    options = DecodingOptions(beam_size=1, max_decoding_length=8)
    [translated] = translate_sentences(model, [SPANISH[0]], tokens, options)
    assert translated == model.detokenize(raw.hypotheses[0], tokens) and not translated.startswith("__en__")

    multilingual = CTranslate2Translator(family="m2m100", multilingual_model=str(tiny_marian), cache_dir=str(tmp_path), **GREEDY)
    assert multilingual.translate_texts([SPANISH[0]], "es") == [translated]
    assert multilingual.model_reference("de") == str(tiny_marian)  # one model for every language


def test_source_provided_backend_falls_back_to_ctranslate2(translator):
    from asknews_assets.translation.articles import SourceArticle

    articles = [
        SourceArticle("a1", SPANISH[0], SPANISH[1], "Headline", "The English text."),
        SourceArticle("a2", SPANISH[2], SPANISH[3]),
    ]
    backend = SourceProvidedTranslator(fallback=translator)
    assert backend.backend == "source-provided+ctranslate2"
    provided, machine = backend.translate_articles(articles, "es")
    assert (provided.title_en, provided.text_en, provided.backend, provided.machine_text_en) == (
        "Headline", "The English text.", "source-provided", None,
    )  # fmt: skip
    assert machine.backend == "ctranslate2" and machine.model == translator.models["es"]
    assert [machine.title_en, machine.text_en] == translator.translate_texts([SPANISH[2], SPANISH[3]], "es")

    measured, _ = backend.translate_articles(articles, "es", machine_translate_all=True)
    assert measured.text_en == "The English text." and measured.model == translator.models["es"]
    assert measured.machine_text_en == translator.translate_texts([SPANISH[1]], "es")[0]
