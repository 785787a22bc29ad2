"""Checks of the sample stage: the sample keeps its caps, has no near-duplicates, reaches its target
and is at least as diverse as a random sample of the same size."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from asknews_assets.checks import missing_tables
from asknews_assets.releases import latest_materialization
from asknews_assets.sample.diversity import compare_to_baseline
from asknews_assets.sample.duplicates import near_duplicate_pairs
from asknews_assets.topics.clustering import NOISE
from asknews_assets.warehouse import readers, tables
from asknews_assets.warehouse.resource import Warehouse

SAMPLE = tables.DIVERSIFIED_SAMPLE
SAMPLED = tables.Inputs(SAMPLE)
WITH_EMBEDDINGS = tables.Inputs(SAMPLE, tables.ARTICLE_EMBEDDINGS)
METRICS = tables.Inputs(tables.DIVERSITY_METRICS)


def _sample_metadata(context: AssetCheckExecutionContext) -> dict:
    """The metadata of the sample's latest materialisation, where its settings are recorded."""
    latest = latest_materialization(context.instance, SAMPLE.key)
    return latest.metadata if latest else {}


@asset_check(
    asset=SAMPLE.key,
    blocking=True,
    description="no topic holds more articles than its cap (as applied: raised where the target needed it; noise has none)",
)
def diversified_sample_topic_caps(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    metadata = _sample_metadata(context)
    cap = metadata.get("topic_cap_applied", metadata.get("topic_cap"))
    if cap is None:
        return AssetCheckResult(passed=False, metadata={"error": f"no materialisation of {SAMPLE.asset} records its topic_cap"})
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, SAMPLED):
            return failure
        sizes = conn.execute(
            f"SELECT topic_id, count(*) AS articles FROM {SAMPLE} WHERE topic_id != {NOISE} GROUP BY topic_id ORDER BY 2 DESC"
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
    asset=SAMPLE.key,
    description="the sample reaches its target size (WARN with how far short and why: a small supply, near-duplicates)",
)
def diversified_sample_target_met(context: AssetCheckExecutionContext) -> AssetCheckResult:
    metadata = _sample_metadata(context)
    if "shortfall" not in metadata:
        return AssetCheckResult(passed=False, metadata={"error": f"no materialisation of {SAMPLE.asset} records its shortfall"})
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


@asset_check(asset=SAMPLE.key, blocking=True, description="no two sampled articles are near-duplicates")
def diversified_sample_no_near_duplicates(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    threshold = _sample_metadata(context).get("near_duplicate_threshold")
    if threshold is None:
        return AssetCheckResult(passed=False, metadata={"error": f"no materialisation of {SAMPLE.asset} records its threshold"})
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, WITH_EMBEDDINGS):
            return failure
        sample, embeddings = readers.read_with_embeddings(
            conn,
            f"""
            SELECT d.article_id, d.country, d.language, e.embedding
            FROM {SAMPLE} d JOIN {tables.ARTICLE_EMBEDDINGS} e USING (country, language, article_id)
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
    asset=SAMPLE.key,
    description="the sample is at least as diverse as a random sample of the same size on every metric "
    "(WARN where the random sample is already at the best the supply allows)",
)
def diversified_sample_beats_random(warehouse: Warehouse) -> AssetCheckResult:
    with warehouse.get_connection() as conn:
        if failure := missing_tables(conn, METRICS):
            return failure
        stored = tables.DIVERSITY_METRICS.read(conn).set_index("metric")
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
