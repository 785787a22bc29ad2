"""Synthetic inputs: news records and corpora, hypothesis strategies, NER datasets, published artefacts."""
