"""Translation to English as plain logic: sentence segmentation, length-sorted batching, CTranslate2
model conversion and caching, language identification and chrF. The Dagster resource that puts these
together lives in `asknews_assets.resources.translation`.
"""
