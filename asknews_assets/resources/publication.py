"""Publishers: one interface, the Hugging Face Hub and a local folder with the Hub's layout.

'local' binds `LocalFolderPublisher` (writes `<ASKNEWS_PUBLISH_DIR>/<organization>/<name>/`, nothing
leaves the machine; organization asknews-assets unless ASKNEWS_HF_ORG says otherwise); 'production'
binds `HubPublisher`, configured by environment variables:

    ASKNEWS_HF_ORG                  user or organisation owning the repositories (required)
    ASKNEWS_HF_DATASET_NAME         dataset repository name (default AskNews-NER)
    ASKNEWS_HF_MODEL_NAME_TEMPLATE  model repository name, with {variant} (default gliner_{variant}_news)
    ASKNEWS_HF_PRIVATE              true: create the repositories private (default false)
    ASKNEWS_HF_ENDPOINT             Hub URL (default: HF_ENDPOINT, else https://huggingface.co)
    ASKNEWS_HF_TOKEN_ENV            name of the variable holding the write token (default HF_TOKEN)

The token is read from its variable when a publication starts; it is never a config value, so it
never reaches run config, logs or metadata.
"""

import os
from pathlib import Path

from dagster import ConfigurableResource, EnvVar
from huggingface_hub import HfApi
from pydantic import Field

from asknews_assets.publication.bundle import Bundle, PublishedRepo
from asknews_assets.publication.hub import Backoff, publish_to_hub
from asknews_assets.publication.local import publish_to_folder
from asknews_assets.publication.naming import make_repo_id
from asknews_assets.redaction import redact_exception
from asknews_assets.settings import Settings

DEFAULT_DATASET_NAME = "AskNews-NER"
DEFAULT_MODEL_NAME_TEMPLATE = "gliner_{variant}_news"
DEFAULT_ENDPOINT = "https://huggingface.co"
LOCAL_ORGANIZATION = "asknews-assets"


class PublicationConfigurationError(RuntimeError):
    """A publisher that cannot run as configured (a missing token, a bad name)."""


class Publisher(ConfigurableResource):
    """Interface: where the dataset and model repositories are, and how a bundle gets there."""

    organization: str = Field(description="User or organisation owning the repositories (the repo ids' namespace).")
    dataset_name: str = Field(default=DEFAULT_DATASET_NAME, description="Name of the dataset repository.")
    model_name_template: str = Field(
        default=DEFAULT_MODEL_NAME_TEMPLATE, description="Name of a model repository; {variant} is small/medium/large."
    )

    @property
    def backend(self) -> str:
        raise NotImplementedError

    @property
    def dataset_repo_id(self) -> str:
        return make_repo_id(self.organization, self.dataset_name)

    def model_repo_id(self, variant: str) -> str:
        return make_repo_id(self.organization, self.model_name_template.format(variant=variant))

    def publish(self, bundle: Bundle) -> PublishedRepo:
        """Make the repository hold exactly the bundle's files, tagged with its version."""
        raise NotImplementedError


class LocalFolderPublisher(Publisher):
    """The Hub's layout in a local folder, with every tag kept (see `asknews_assets.publication.local`)."""

    directory: str = Field(description="Root of the local publish target (one folder per repository).")

    @property
    def backend(self) -> str:
        return "local_folder"

    def publish(self, bundle: Bundle) -> PublishedRepo:
        return publish_to_folder(Path(self.directory), bundle)


class HubPublisher(Publisher):
    """A Hugging Face Hub (or compatible server): one commit per publication, then a tag."""

    endpoint: str = Field(default=DEFAULT_ENDPOINT, description="Hub URL.")
    token_env: str = Field(
        default="HF_TOKEN", description="Environment variable holding a write token; empty for a server without authentication."
    )
    private: bool = Field(default=False, description="Create the repositories private (existing ones keep their visibility).")
    max_retries: int = Field(default=5, description="Retries of a call after a 429, a 5xx or a broken connection.")
    backoff_base_s: float = Field(default=2.0, description="First retry waits about this long, doubling each time.")
    backoff_max_s: float = Field(default=60.0, description="Longest wait between retries (unless Retry-After asks more).")

    @property
    def backend(self) -> str:
        return "huggingface_hub"

    def _token(self) -> str | bool:
        if not self.token_env:
            return False  # no Authorization header at all
        token = os.environ.get(self.token_env)  # a secret: read when used, never held in settings
        if not token:
            raise PublicationConfigurationError(
                f"the environment variable {self.token_env} (named by token_env, ASKNEWS_HF_TOKEN_ENV) is not set:"
                " set it to a Hub token with write access"
            )
        return token

    def publish(self, bundle: Bundle) -> PublishedRepo:
        token = self._token()
        api = HfApi(endpoint=self.endpoint, token=token, library_name="asknews-assets")
        backoff = Backoff(self.max_retries, self.backoff_base_s, self.backoff_max_s)
        try:
            return publish_to_hub(api, bundle, private=self.private, backoff=backoff)
        except Exception as error:
            # A server may echo the Authorization header in its error body: the token never leaves in a message.
            raise redact_exception(error, [token if isinstance(token, str) else None])


def _names(config: Settings) -> dict[str, str]:
    return {
        "dataset_name": config.hf_dataset_name or DEFAULT_DATASET_NAME,
        "model_name_template": config.hf_model_name_template or DEFAULT_MODEL_NAME_TEMPLATE,
    }


def hub_publisher(config: Settings) -> HubPublisher:
    """The production publisher; ASKNEWS_HF_ORG is read by Dagster when a run starts (required then)."""
    return HubPublisher(
        organization=EnvVar("ASKNEWS_HF_ORG"),
        endpoint=config.hf_endpoint or DEFAULT_ENDPOINT,
        token_env=config.hf_token_env,
        private=config.hf_private,
        **_names(config),
    )


def local_folder_publisher(config: Settings) -> LocalFolderPublisher:
    """The local publisher: the Hub's layout under ASKNEWS_PUBLISH_DIR."""
    return LocalFolderPublisher(
        organization=config.hf_org or LOCAL_ORGANIZATION, directory=str(config.publish_dir), **_names(config)
    )
