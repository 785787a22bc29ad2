"""Publication of the dataset and the fine-tuned models: to the Hugging Face Hub or a local folder.

- `naming`: repository ids, version tags, shard paths;
- `sharding`: Parquet shards `data/{split}-NNNNN-of-NNNNN.parquet`;
- `cards`: dataset and model cards (Hub YAML metadata + a body generated from the data);
- `staging`: the bundle of files one publication puts in a repository;
- `hub` / `local`: the two ways to publish a bundle (behind `resources.publication.Publisher`).

Plain logic, no Dagster: which upstream versions exist and passed their blocking checks is read from
the instance by `asknews_assets.releases`; the publish jobs are in `asknews_assets.jobs`.
"""

from asknews_assets.publication.bundle import Bundle, PublicationError, PublishedRepo
from asknews_assets.publication.naming import InvalidName, make_repo_id, version_tag

__all__ = ["Bundle", "InvalidName", "PublicationError", "PublishedRepo", "make_repo_id", "version_tag"]
