"""The Celery app that Celery workers serve: dagster-celery's step task, configured exactly as the
executor that submits the steps (asknews_assets.execution.celery_config).

    celery -A asknews_assets.celery_app worker -Q dagster -n cpu-1@%h      # CPU steps
    celery -A asknews_assets.celery_app worker -Q gpu -c 1 -n gpu-1@%h     # model steps

A worker needs ASKNEWS_CELERY_BROKER, the instance's storage settings (DAGSTER_PG_*) and the
settings of the resources its steps use (warehouse, source, models); it loads the definitions itself.
"""

from dagster._config import post_process_config
from dagster_celery.executor import CeleryExecutor, celery_executor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from asknews_assets.execution import celery_config

_resolved = dict(post_process_config(celery_executor.config_schema.config_type, celery_config()).value)
_resolved.pop("retries")  # decided by the submitting run and carried in each task

app = make_app(CeleryExecutor.for_cli(**_resolved).app_args())
execute_plan = create_task(app)
