"""Random-weight Marian translation models (Spanish -> English) laid out like an OPUS-MT model on
the Hub (source.spm, target.spm, vocab.json with '</s>' first and '<pad>' last, MarianMTModel
weights), so the real TransformersConverter and CTranslate2 run on them. The `tiny_marian` fixture
builds a tiny one in a second or two; benchmarks/translation.py builds an OPUS-MT-sized one.

Translations are gibberish but deterministic (greedy decoding), and the tiny model's differ for
different inputs. The vocabulary also holds NLLB and M2M100 language tokens, to run multilingual
token handling.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

SPANISH = [
    "El gobierno presentó hoy el presupuesto para el año próximo.",
    "La ciudad de Monterrey sufre una sequía sin precedentes.",
    "Los agricultores bloquearon las carreteras con tractores.",
    "El banco central mantuvo la tasa de interés en 11 por ciento.",
    "¿Quién ganará las elecciones regionales de marzo?",
    "La vacuna contra el dengue llega a los hospitales del norte.",
    "Nuevas líneas de tren unirán la capital con la costa.",
    "El festival de cine presentó una película sobre la sal.",
]
ENGLISH = [
    "The government presented the budget for next year today.",
    "The city of Monterrey suffers an unprecedented drought.",
    "Farmers blocked the roads with tractors.",
    "The central bank kept the interest rate at 11 percent.",
    "Who will win the regional elections in March?",
    "The dengue vaccine reaches the hospitals of the north.",
    "New train lines will link the capital with the coast.",
    "The film festival presented a movie about salt.",
]
LANGUAGE_TOKENS = ["__es__", "__en__", "spa_Latn", "eng_Latn"]


def _train_sentencepiece(lines: list[str], prefix: Path, vocab_size: int) -> Path:
    import sentencepiece

    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 4),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="bpe",
        character_coverage=1.0,
        minloglevel=2,
    )
    model = prefix.with_suffix(".model")
    return model.rename(prefix.with_suffix(".spm"))


# The tests' model: small enough to build, convert and run in a second.
TINY_ARCHITECTURE = {
    "d_model": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
    "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32, "max_position_embeddings": 256,
}  # fmt: skip


def build_marian(
    folder: Path, architecture: dict, subwords: int = 120, vocab_size: int | None = None, weight_std: float | None = None
) -> Path:
    """Save a random-weight MarianMTModel and its MarianTokenizer under folder/hf; return that folder.

    subwords is the size of each sentencepiece model (120: nearly characters; 400: nearly words);
    vocab_size pads the vocabulary with filler pieces up to that size (an OPUS-MT-sized softmax);
    weight_std redraws the weight matrices with that standard deviation (default: Transformers' init).
    """
    import sentencepiece
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    spm_files = [
        _train_sentencepiece(SPANISH, folder / "source", subwords),
        _train_sentencepiece(ENGLISH, folder / "target", subwords),
    ]
    vocab = {"</s>": 0, "<unk>": 1}
    for spm_file in spm_files:
        processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_file))
        for piece_id in range(processor.get_piece_size()):
            if not (processor.is_control(piece_id) or processor.is_unknown(piece_id)):
                vocab.setdefault(processor.id_to_piece(piece_id), len(vocab))
    for token in LANGUAGE_TOKENS:
        vocab[token] = len(vocab)
    for filler in range(len(vocab), (vocab_size or 0) - 1):
        vocab[f"▁filler{filler}"] = filler
    vocab["<pad>"] = len(vocab)  # last, as in OPUS-MT: CTranslate2's converter drops it
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        tokenizer = MarianTokenizer(
            source_spm=str(spm_files[0]), target_spm=str(spm_files[1]), vocab=str(folder / "vocab.json")
        )
    config = MarianConfig(
        vocab_size=len(vocab),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        **architecture,
    )
    torch.manual_seed(0)
    model = MarianMTModel(config)
    if weight_std is not None:
        with torch.no_grad():
            for parameter in model.parameters():
                if parameter.dim() > 1:
                    parameter.normal_(0.0, weight_std)
    output = folder / "hf"
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    return output


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a tiny Transformers Marian model (es -> en), shared by the session's tests."""
    # Large weights keep a tiny random model's outputs apart for different inputs.
    return build_marian(tmp_path_factory.mktemp("tiny_marian"), TINY_ARCHITECTURE, weight_std=2.0)
