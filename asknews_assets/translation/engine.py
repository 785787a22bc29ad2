"""Translating texts with a loaded CTranslate2 model: sentences in length-sorted batches, texts
cut into sentences and put back together in their original order and paragraphs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asknews_assets.translation.languages import LanguageTokens
from asknews_assets.translation.models import LoadedModel
from asknews_assets.translation.segments import map_length_sorted, segment


@dataclass(frozen=True)
class DecodingOptions:
    batch_size: int = 16
    beam_size: int = 2
    max_input_length: int = 512
    max_decoding_length: int = 256
    max_sentence_chars: int = 1000


def translate_sentences(
    model: LoadedModel, sentences: Sequence[str], tokens: LanguageTokens, options: DecodingOptions
) -> list[str]:
    """Translate sentences in batches of similar token length; results in the input order."""
    tokenized = [model.tokenize(sentence, tokens) for sentence in sentences]
    target_prefix = list(tokens.target_prefix) or None

    def translate_batch(batch: list[list[str]]) -> list[str]:
        results = model.translator.translate_batch(
            batch,
            target_prefix=[target_prefix] * len(batch) if target_prefix else None,
            beam_size=options.beam_size,
            max_input_length=options.max_input_length,
            max_decoding_length=options.max_decoding_length,
        )
        return [model.detokenize(result.hypotheses[0], tokens) for result in results]

    return map_length_sorted(tokenized, translate_batch, options.batch_size)


def translate_texts(
    model: LoadedModel, texts: Sequence[str], tokens: LanguageTokens, options: DecodingOptions
) -> list[str]:
    """Translate whole texts: every sentence of every text is batched together, so short texts fill
    batches too, and each text is reassembled with its own paragraph breaks and spacing."""
    segmented = [segment(text, options.max_sentence_chars) for text in texts]
    translated = iter(translate_sentences(model, [s for text in segmented for s in text.segments], tokens, options))
    return [text.reassemble([next(translated) for _ in text.segments]) for text in segmented]
