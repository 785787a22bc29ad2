"""Sensors: partition discovery and publication."""
