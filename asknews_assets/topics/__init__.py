"""Topics and the diversified sample, as plain functions the topic assets stay thin around.

- `clustering`: reduction (PCA by default) + HDBSCAN over article embeddings.
- `keywords`: class-based TF-IDF keywords of each topic.
- `describe`: per-topic summaries (keywords, representative article, country/language spread).
- `labeling`: topic labels, from the keywords or asked of an LLM (resources: `resources.topics`).
- `sampler`: enforced diversification (round-robin over topics, caps, spread, no near-duplicates).
- `diversity`: diversity metrics of a sample against its supply.
- `duplicates`: near-duplicate detection by embedding cosine similarity.

Nothing heavy is imported here: hdbscan, scikit-learn and matplotlib load inside the functions that use them.
"""
