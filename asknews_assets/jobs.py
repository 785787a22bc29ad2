"""Jobs, one per shape of partitioning, in graph order.

- article_partition_job: everything partitioned by country x language, for one partition
  (the discovery sensor and per-language backfills run it);
- dataset_job: the unpartitioned whole-corpus stages, from the supply check to the dataset splits;
- model_job: fine-tuning and evaluation of one GLiNER variant;
- publish_dataset_job / publish_models_job: launched by the publication sensor (or by hand from the UI).
"""

from dagster import AssetSelection, define_asset_job

from asknews_assets.partitions import article_partitions, model_variant_partitions
from asknews_assets.releases import PUBLISHED_DATASET, PUBLISHED_MODELS

# Groups of assets partitioned by country x language.
ARTICLE_GROUPS = ("ingest", "translation", "summaries", "embeddings")

article_partition_job = define_asset_job(
    "article_partition_job",
    selection=AssetSelection.groups(*ARTICLE_GROUPS),
    partitions_def=article_partitions,
    description="Everything partitioned by country x language, for one partition.",
)

dataset_job = define_asset_job(
    "dataset_job",
    selection=AssetSelection.groups("supply", "topics", "sample", "annotation", "dataset"),
    description="The supply and its coverage check, topic clusters, the diversified sample, annotations and the splits,"
    " over every partition.",
)

model_job = define_asset_job(
    "model_job",
    selection=AssetSelection.groups("models"),
    partitions_def=model_variant_partitions,
    description="Fine-tunes one GLiNER variant on the latest dataset and evaluates it before and after.",
)

publish_dataset_job = define_asset_job(
    "publish_dataset_job",
    selection=AssetSelection.assets(PUBLISHED_DATASET),
    description="Publishes one version of dataset_splits: Parquet shards and dataset card, one commit, a tag.",
    tags={"stage": "publication"},
)

publish_models_job = define_asset_job(
    "publish_models_job",
    selection=AssetSelection.assets(PUBLISHED_MODELS),
    partitions_def=model_variant_partitions,
    description="Publishes one version of a fine-tuned GLiNER variant: weights, config, tokenizer and model card.",
    tags={"stage": "publication"},
)

ALL_JOBS = [article_partition_job, dataset_job, model_job, publish_dataset_job, publish_models_job]
