"""Checks of the topic layer: every article has one topic; the sample keeps its caps, has no
near-duplicates and is at least as diverse as a random sample of the same size."""


from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from asknews_assets.assets.topics import DIVERSIFIED_SAMPLE, TOPIC_CLUSTERS, read_with_embeddings
from asknews_assets.topics.clustering import NOISE
from asknews_assets.warehouse.resource import Warehouse
from asknews_assets.warehouse.storage import table_exists
from asknews_assets.sample.diversity import compare_to_baseline
from asknews_assets.sample.duplicates import near_duplicate_pairs


def _latest_metadata(context: AssetCheckExecutionContext, key: AssetKey) -> dict:
    """The metadata of the asset's latest materialisation, where its settings are recorded."""
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return {}
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def _missing(conn, tables: tuple[str, ...]) -> AssetCheckResult | None:
    missing = [table for table in tables if not table_exists(conn, table)]
    return AssetCheckResult(passed=False, metadata={"error": f"missing tables: {', '.join(missing)}"}) if missing else None


@asset_check(
    asset=TOPIC_CLUSTERS,
    blocking=True,
    description="every embedded article has exactly one topic, and topic sizes add up",
)
def article_topics_complete(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if failure := _missing(conn, ("article_embeddings", "article_topics", "topics")):
            return failure
        counts = conn.execute(
            """
            SELECT
              (SELECT count(*) FROM article_embeddings e ANTI JOIN article_topics t USING (country, language, article_id)),
              (SELECT count(*) FROM (SELECT 1 FROM article_topics GROUP BY country, language, article_id HAVING count(*) > 1)),
              (SELECT count(*) FROM article_topics t ANTI JOIN topics USING (topic_id)),
              (SELECT count(*) FROM (
                 SELECT topic_id FROM topics JOIN (SELECT topic_id, count(*) AS n FROM article_topics GROUP BY topic_id)
                 USING (topic_id) WHERE size != n)),
              (SELECT count(*) FROM article_topics)
            """
        ).fetchone()
    without_topic, with_several, unknown_topic, wrong_sizes, assigned = counts
    return AssetCheckResult(
        passed=not (without_topic or with_several or unknown_topic or wrong_sizes),
        metadata={
            "articles_assigned": assigned,
            "embedded_articles_without_topic": without_topic,
            "articles_with_several_topics": with_several,
            "assignments_to_unknown_topics": unknown_topic,
            "topics_with_wrong_size": wrong_sizes,
        },
    )


@asset_check(
    asset=DIVERSIFIED_SAMPLE,
    blocking=True,
    description="no topic holds more articles than its cap (as applied: raised where the target needed it; noise has none)",
)
def diversified_sample_topic_caps(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    metadata = _latest_metadata(context, DIVERSIFIED_SAMPLE)
    cap = metadata.get("topic_cap_applied", metadata.get("topic_cap"))
    if cap is None:
        return AssetCheckResult(passed=False, metadata={"error": "no materialisation of diversified_sample records its topic_cap"})
    with warehouse.get_connection() as conn:
        if failure := _missing(conn, ("diversified_sample",)):
            return failure
        sizes = conn.execute(
            f"SELECT topic_id, count(*) AS articles FROM diversified_sample WHERE topic_id != {NOISE} GROUP BY topic_id ORDER BY 2 DESC"
        ).df()
    over = sizes[sizes["articles"] > cap]
    return AssetCheckResult(
        passed=over.empty,
        metadata={
            "topic_cap": cap,
            "largest_topic_articles": int(sizes["articles"].max()) if len(sizes) else 0,
            "topics_over_cap": len(over),
            "over": over.head(20).to_string(index=False),
        },
    )


@asset_check(
    asset=DIVERSIFIED_SAMPLE,
    description="the sample reaches its target size (WARN with how far short and why: a small supply, near-duplicates)",
)
def diversified_sample_target_met(context: AssetCheckExecutionContext) -> AssetCheckResult:
    metadata = _latest_metadata(context, DIVERSIFIED_SAMPLE)
    if "shortfall" not in metadata:
        return AssetCheckResult(passed=False, metadata={"error": "no materialisation of diversified_sample records its shortfall"})
    shortfall = int(metadata["shortfall"])
    return AssetCheckResult(
        passed=shortfall == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "target_size": metadata.get("target_size"),
            "sampled": metadata.get("dagster/row_count"),
            "shortfall": shortfall,
            "shortfall_reason": metadata.get("shortfall_reason", ""),
            "topic_cap": metadata.get("topic_cap"),
            "topic_cap_applied": metadata.get("topic_cap_applied"),
        },
    )


@asset_check(asset=DIVERSIFIED_SAMPLE, blocking=True, description="no two sampled articles are near-duplicates")
def diversified_sample_no_near_duplicates(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    threshold = _latest_metadata(context, DIVERSIFIED_SAMPLE).get("near_duplicate_threshold")
    if threshold is None:
        return AssetCheckResult(passed=False, metadata={"error": "no materialisation of diversified_sample records its threshold"})
    with warehouse.get_connection() as conn:
        if failure := _missing(conn, ("diversified_sample", "article_embeddings")):
            return failure
        sample, embeddings = read_with_embeddings(
            conn,
            """
            SELECT d.article_id, d.country, d.language, e.embedding
            FROM diversified_sample d JOIN article_embeddings e USING (country, language, article_id)
            ORDER BY d.sample_rank
            """,
        )
    pairs = near_duplicate_pairs(embeddings, threshold) if len(sample) else []
    examples = [
        f"{sample['article_id'].iat[i]} ~ {sample['article_id'].iat[j]}: {similarity:.3f}" for i, j, similarity in pairs[:10]
    ]
    return AssetCheckResult(
        passed=not pairs,
        metadata={"threshold": threshold, "articles_checked": len(sample), "near_duplicate_pairs": len(pairs), "examples": "\n".join(examples)},
    )


@asset_check(
    asset=DIVERSIFIED_SAMPLE,
    description="the sample is at least as diverse as a random sample of the same size on every metric "
    "(WARN where the random sample is already at the best the supply allows)",
)
def diversified_sample_beats_random(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if failure := _missing(conn, ("diversity_metrics",)):
            return failure
        stored = conn.execute("SELECT * FROM diversity_metrics").df().set_index("metric")
    comparison = compare_to_baseline(*(stored[column].to_dict() for column in ("sample", "random_baseline", "best_possible")))
    worse = comparison[comparison["verdict"] == "worse"]
    # Losing where the random sample already reached the supply's best is the supply's doing: warn.
    severity = AssetCheckSeverity.WARN if len(worse) and not worse["beatable"].any() else AssetCheckSeverity.ERROR
    return AssetCheckResult(
        passed=worse.empty,
        severity=severity,
        metadata={
            "worse_than_random": ", ".join(worse["metric"]) or "none",
            "tied_at_best_possible": ", ".join(comparison.loc[(comparison["verdict"] == "tied") & ~comparison["beatable"], "metric"])
            or "none",
            "comparison": comparison.round(4).to_string(index=False),
        },
    )
