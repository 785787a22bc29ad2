"""The diversified sample as plain functions the diversified_sample asset stays thin around.

- `sampler`: enforced diversification (round-robin over topics, caps, spread, no near-duplicates).
- `diversity`: diversity metrics of a sample against its supply.
- `duplicates`: near-duplicate detection by embedding cosine similarity.
- `draw`: the rows of `diversified_sample` and `diversity_metrics` and the statistics the asset records.

Nothing heavy is imported here: matplotlib loads inside the function that plots.
"""
