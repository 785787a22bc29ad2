"""CTranslate2 models: converted once into a cache folder, loaded once per process.

A model reference is a Hugging Face Hub id, a local Transformers folder or a local CTranslate2
folder. The first two are converted with CTranslate2's TransformersConverter into
`<cache>/<name>--<quantization>` (with the tokenizer saved beside it in `tokenizer/`), written to a
temporary folder and renamed into place, so an interrupted or concurrent conversion never leaves a
half-written model that a later run would trust. A CTranslate2 folder is used as it is.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ctranslate2

from asknews_assets import settings
from asknews_assets.translation.languages import LanguageTokens

TOKENIZER_FOLDER = "tokenizer"


class TranslationModelUnavailable(RuntimeError):
    """A translation model that cannot be found, converted or loaded."""


@contextmanager
def _quiet_tokenizer_loading() -> Iterator[None]:
    # OPUS-MT tokenizers recommend sacremoses for punctuation normalisation; optional here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        yield


def _folder_fingerprint(folder: Path) -> str:
    """Changes when the folder moves or any of its files changes, so a stale conversion is not reused."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(folder.iterdir()):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:12]


def cache_name(reference: str, quantization: str) -> str:
    """Name of a reference's converted folder: the Hub id, or a local folder's name and fingerprint."""
    folder = Path(reference).expanduser()
    if folder.is_dir():
        name = f"{folder.name}-{_folder_fingerprint(folder)}"
    else:
        name = reference.replace("/", "--")
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{name}--{quantization}")


def converter_class() -> type:
    """CTranslate2's Transformers converter, imported on first conversion: it pulls in torch and
    transformers (about 2 s), which every process that loads the definitions would otherwise pay."""
    from ctranslate2.converters import TransformersConverter

    return TransformersConverter


def _convert(reference: str, target: Path, quantization: str) -> None:
    from transformers import AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staged = workdir / "model"
        with _quiet_tokenizer_loading():
            converter_class()(reference, low_cpu_mem_usage=True).convert(str(staged), quantization=quantization)
            AutoTokenizer.from_pretrained(reference).save_pretrained(staged / TOKENIZER_FOLDER)
        try:
            staged.rename(target)
        except OSError:
            if not ctranslate2.contains_model(str(target)):  # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _in_hub_cache(reference: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(reference, "config.json"), str)
    except ValueError:  # not a valid repository id
        return False


def prepare_model(reference: str, cache_dir: Path, quantization: str) -> Path:
    """The CTranslate2 folder for a reference, converting it into the cache on first use only."""
    folder = Path(reference).expanduser()
    if folder.is_dir() and ctranslate2.contains_model(str(folder)):
        return folder
    if not folder.is_dir() and (reference.startswith((".", "/", "~")) or reference.count("/") > 1):
        raise TranslationModelUnavailable(f"model folder {reference} does not exist")
    target = cache_dir / cache_name(reference, quantization)
    if not ctranslate2.contains_model(str(target)):
        if not folder.is_dir() and settings.current().hub_offline and not _in_hub_cache(reference):
            # Fail at once: in offline mode a download can only fail, after the client's retries.
            raise TranslationModelUnavailable(
                f"{reference!r} is neither converted in {cache_dir} nor in the Hugging Face cache, and the Hub's"
                " offline mode is on (HF_HUB_OFFLINE)"
            )
        try:
            _convert(reference, target, quantization)
        except Exception as error:  # Hub, network, architecture and disk errors alike
            raise TranslationModelUnavailable(
                f"could not convert {reference!r} to CTranslate2 ({type(error).__name__}: {error})"
            ) from error
    return target


def _tokenizer_folder(model_dir: Path) -> Path:
    folder = model_dir / TOKENIZER_FOLDER
    return folder if folder.is_dir() else model_dir


@dataclass(frozen=True)
class LoadedModel:
    """A CTranslate2 translator with the tokenizer of the model it was converted from."""

    translator: Any  # ctranslate2.Translator
    tokenizer: Any  # a transformers tokenizer

    def tokenize(self, sentence: str, tokens: LanguageTokens) -> list[str]:
        return [*tokens.source_prefix, *self.tokenizer.tokenize(sentence), self.tokenizer.eos_token]

    def detokenize(self, hypothesis: list[str], tokens: LanguageTokens) -> str:
        prefix = list(tokens.target_prefix)
        if prefix and hypothesis[: len(prefix)] == prefix:
            hypothesis = hypothesis[len(prefix) :]
        special = set(self.tokenizer.all_special_tokens)
        return self.tokenizer.convert_tokens_to_string([t for t in hypothesis if t not in special])


@functools.lru_cache(maxsize=8)
def load_model(model_dir: str, device: str, compute_type: str, intra_threads: int, inter_threads: int) -> LoadedModel:
    """Load a converted model and its tokenizer, once per process and settings."""
    from transformers import AutoTokenizer

    try:
        translator = ctranslate2.Translator(
            model_dir,
            device=device,
            compute_type=compute_type,
            intra_threads=intra_threads,
            inter_threads=inter_threads,
        )
        with _quiet_tokenizer_loading():
            tokenizer = AutoTokenizer.from_pretrained(_tokenizer_folder(Path(model_dir)))
    except (OSError, ValueError, RuntimeError) as error:
        raise TranslationModelUnavailable(
            f"could not load the CTranslate2 model or its tokenizer from {model_dir}: {error}"
        ) from error
    return LoadedModel(translator=translator, tokenizer=tokenizer)
