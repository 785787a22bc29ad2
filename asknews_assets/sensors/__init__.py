"""Sensors: partition discovery and publication."""

from dagster import DefaultSensorStatus

from asknews_assets import settings


def default_status(switch: str) -> DefaultSensorStatus:
    """On unless the switch (one of settings.SENSOR_SWITCHES) says 'off': sensors run by default, as users expect."""
    return DefaultSensorStatus.STOPPED if switch in settings.current().sensors_off else DefaultSensorStatus.RUNNING
