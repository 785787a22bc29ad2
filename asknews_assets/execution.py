"""Where the steps of a run execute, chosen by ASKNEWS_EXECUTOR (`Settings.executor`).

- 'in_process' (default): every step in the run worker's process, so the model libraries load once
  per run (a partition run is a few short steps);
- 'multiprocess': Dagster's multiprocess executor, each step a subprocess of the run worker;
- 'celery': dagster-celery; steps are tasks on a broker (ASKNEWS_CELERY_BROKER, e.g. Redis), served
  by long-lived workers (`celery -A asknews_assets.celery_app worker -Q dagster`); a step picks its
  queue with the op tag `dagster-celery/queue` (model steps: `gpu`, see GPU_QUEUE_TAGS);
- 'k8s': dagster-k8s's k8s_job_executor, one Kubernetes Job per step (its run config:
  deploy/production/run_config/k8s_job_executor.yaml).

The choice is validated when the definitions load, so a missing package or broker setting stops the
code location with a message naming what to set, not a run halfway.
"""

from __future__ import annotations

from typing import Any

from asknews_assets import settings
from asknews_assets.settings import CELERY_BACKEND_ENV, CELERY_BROKER_ENV, Settings
CPU_QUEUE = "dagster"  # dagster-celery's default queue
GPU_QUEUE = "gpu"
# Op tags of the steps that need a GPU worker (model training and inference at scale).
GPU_QUEUE_TAGS = {"dagster-celery/queue": GPU_QUEUE}


class ExecutorUnavailable(RuntimeError):
    """The configured executor cannot be built: a package or a setting is missing."""


def celery_config(config: Settings | None = None) -> dict[str, Any]:
    """The celery_executor's configuration, shared by the run workers (which submit steps) and the
    Celery workers (celery_app), so both sides always agree on broker, queues and delivery."""
    config = config or settings.current()
    if config.celery_broker_env is None:
        raise ExecutorUnavailable(
            f"ASKNEWS_EXECUTOR=celery needs the broker URL in {CELERY_BROKER_ENV} (e.g. redis://host:6379/0);"
            f" the result backend is {CELERY_BACKEND_ENV}, default: the broker"
        )
    visibility = config.celery_visibility_timeout
    return {
        # Read from the environment where used: a broker URL may hold a password.
        "broker": {"env": config.celery_broker_env},
        "backend": {"env": config.celery_backend_env},
        "config_source": {
            # Steps are long: a worker takes one at a time and acknowledges it only when done, so
            # the step of a worker that dies is handed to another one (Redis: after the visibility
            # timeout, checked every tenth of it).
            "worker_prefetch_multiplier": 1,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "broker_transport_options": {
                "visibility_timeout": visibility,
                "unacked_restore_interval": max(1, visibility // 10),
                "unacked_restore_throttle": 1,
            },
            "result_backend_transport_options": {"visibility_timeout": visibility},
            "broker_connection_retry_on_startup": True,
        },
        # Failed steps are retried by each asset's RetryPolicy, on any worker.
        "retries": {"enabled": {}},
    }


def _celery_executor(config: Settings):
    try:
        from dagster_celery import celery_executor
    except ImportError as error:
        raise ExecutorUnavailable(
            "ASKNEWS_EXECUTOR=celery needs dagster-celery: pip install 'asknews-assets[celery]'"
        ) from error
    return celery_executor.configured(celery_config(config), name="asknews_celery")


def _k8s_executor(config: Settings):
    try:
        from dagster_k8s import k8s_job_executor
    except ImportError as error:
        raise ExecutorUnavailable(
            "ASKNEWS_EXECUTOR=k8s needs dagster-k8s: pip install 'asknews-assets[k8s]'"
        ) from error
    return k8s_job_executor


def build_executor(config: Settings | None = None):
    """The executor of every job."""
    from dagster import in_process_executor, multiprocess_executor

    config = config or settings.current()
    return {
        "in_process": lambda _: in_process_executor,
        "multiprocess": lambda _: multiprocess_executor,
        "celery": _celery_executor,
        "k8s": _k8s_executor,
    }[config.executor](config)
