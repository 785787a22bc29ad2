"""chrF (sacrebleu) of machine translations against the English a news source supplies."""

from __future__ import annotations

from collections.abc import Sequence

from sacrebleu.metrics import CHRF


def sentence_chrf(hypothesis: str, reference: str) -> float:
    return CHRF().sentence_score(hypothesis, [reference]).score


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float | None:
    """Corpus-level chrF, or None when there is nothing to compare."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return None
    return CHRF().corpus_score(list(hypotheses), [list(references)]).score
