"""Topics as plain functions the topic_clusters asset stays thin around.

- `clustering`: reduction (PCA by default) + HDBSCAN over article embeddings.
- `keywords`: class-based TF-IDF keywords of each topic.
- `describe`: per-topic summaries (keywords, representative article, country/language spread).
- `labeling`: topic labels, from the keywords or asked of an LLM (resources: `resources.topics`).
- `build`: the rows of `topics` and `article_topics` and the statistics the asset records.

Nothing heavy is imported here: hdbscan and scikit-learn load inside the functions that use them.
"""
