"""`ModelBackend`: what every pluggable model backend says about itself (summarizer, entity
annotator, topic labeler), whether it calls an LLM (`asknews_assets.llm.LLMBackend`) or not.

Those names land on the rows and in the metadata, so each materialisation says what produced it.
It lives outside `resources/` and `llm/` so that neither imports the other to define a backend.
"""

from dagster import ConfigurableResource


class ModelBackend(ConfigurableResource):
    """What every backend says about itself."""

    @property
    def backend(self) -> str:
        raise NotImplementedError

    @property
    def model_name(self) -> str:
        raise NotImplementedError

    @property
    def prompt_version(self) -> str | None:
        """What, besides the model, decides the answers (the LLM prompt's version); None if nothing."""
        return None
