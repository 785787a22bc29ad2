"""Sensors: partition discovery and publication."""

import os

from dagster import DefaultSensorStatus


def default_status(env_var: str) -> DefaultSensorStatus:
    """On unless the environment variable says 'off' (sensors run by default, as users expect)."""
    return DefaultSensorStatus.STOPPED if os.environ.get(env_var, "on") == "off" else DefaultSensorStatus.RUNNING
