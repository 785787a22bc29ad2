"""The publish jobs, launched by the publication sensor (or by hand from the UI)."""

from dagster import AssetSelection, define_asset_job

from asknews_assets.partitions import model_variant_partitions
from asknews_assets.publication.releases import PUBLISHED_DATASET, PUBLISHED_MODELS

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

PUBLICATION_JOBS = [publish_dataset_job, publish_models_job]
