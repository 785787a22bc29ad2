"""Checks of the topics stage: every embedded article has one topic, and topic sizes add up."""

from dagster import AssetCheckResult, asset_check

from asknews_assets.checks import missing_tables
from asknews_assets.warehouse import tables
from asknews_assets.warehouse.resource import Warehouse

INPUTS = tables.Inputs(tables.ARTICLE_EMBEDDINGS, tables.ARTICLE_TOPICS, tables.TOPICS)


@asset_check(
    asset=tables.TOPICS.key,
    blocking=True,
    description="every embedded article has exactly one topic, and topic sizes add up",
)
def article_topics_complete(warehouse: Warehouse) -> AssetCheckResult:
    embeddings, assigned, topics = tables.ARTICLE_EMBEDDINGS, tables.ARTICLE_TOPICS, tables.TOPICS
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, INPUTS):
            return failure
        counts = conn.execute(
            f"""
            SELECT
              (SELECT count(*) FROM {embeddings} e ANTI JOIN {assigned} t USING (country, language, article_id)),
              (SELECT count(*) FROM (SELECT 1 FROM {assigned} GROUP BY country, language, article_id HAVING count(*) > 1)),
              (SELECT count(*) FROM {assigned} t ANTI JOIN {topics} USING (topic_id)),
              (SELECT count(*) FROM (
                 SELECT topic_id FROM {topics} JOIN (SELECT topic_id, count(*) AS n FROM {assigned} GROUP BY topic_id)
                 USING (topic_id) WHERE size != n)),
              (SELECT count(*) FROM {assigned})
            """
        ).fetchone()
    without_topic, with_several, unknown_topic, wrong_sizes, assigned_count = counts
    return AssetCheckResult(
        passed=not (without_topic or with_several or unknown_topic or wrong_sizes),
        metadata={
            "articles_assigned": assigned_count,
            "embedded_articles_without_topic": without_topic,
            "articles_with_several_topics": with_several,
            "assignments_to_unknown_topics": unknown_topic,
            "topics_with_wrong_size": wrong_sizes,
        },
    )
