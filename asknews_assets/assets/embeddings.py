"""The embeddings stage: a sentence embedding of each summarised article, per country x language."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from asknews_assets.embeddings.rows import MixedDimensions, embed_partition
from asknews_assets.metadata import column_schema, table_preview
from asknews_assets.partitions import article_backfill_policy, article_partitions, partitions_of
from asknews_assets.resources.embeddings import Embedder
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

INPUTS = tables.Inputs(tables.ARTICLE_SUMMARIES, tables.TRANSLATED_ARTICLES)


@asset(
    partitions_def=article_partitions,
    backfill_policy=article_backfill_policy,
    group_name="embeddings",
    kinds={"duckdb", "pytorch"},
    tags={"stage": "embeddings"},
    deps=INPUTS.deps,
    code_version="2",
)
def article_embeddings(context: AssetExecutionContext, embedder: Embedder, warehouse: Warehouse) -> MaterializeResult:
    """A unit-length sentence embedding of each summarised article (its summary by default).

    Stored as FLOAT[] lists of one length, so cosine similarity is `list_inner_product` in SQL.
    Every partition of the table must come from one model: a model of another dimension is refused.
    """
    stored, preview, seconds = 0, [], 0.0
    for partition in partitions_of(context):
        with INPUTS.open(warehouse) as conn:
            articles = readers.summaries_to_embed(conn, partition)
            stored_dimensions = readers.stored_embedding_dimensions(conn)
        try:
            outcome = embed_partition(partition, articles, embedder, stored_dimensions)
        except MixedDimensions as error:
            raise Failure(str(error)) from error
        with warehouse.get_connection() as conn:
            tables.ARTICLE_EMBEDDINGS.replace_partition(conn, partition, outcome.rows)
        stored += len(outcome.rows)
        preview += outcome.preview
        seconds += outcome.seconds

    return MaterializeResult(
        metadata={
            "dagster/row_count": stored,
            "dagster/column_schema": column_schema(tables.ARTICLE_EMBEDDINGS.ddl),
            "dagster/table_name": tables.ARTICLE_EMBEDDINGS.name,
            "model": embedder.model_name,
            "dimension": embedder.dimension,
            "field": embedder.text_field,
            "seconds": round(seconds, 2),
            "texts_per_second": round(stored / seconds, 1) if stored and seconds > 0 else 0.0,
            "preview": table_preview(preview),
        }
    )
