"""GLiNER models: an offline base model, batched inference, fine-tuning and evaluation.

Plain functions only (no Dagster): the `finetuned_gliner` and `model_evaluation` assets, the
GLiNER annotator and the benchmarks all call them.
"""
