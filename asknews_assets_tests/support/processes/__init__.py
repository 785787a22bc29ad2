"""Real servers and Dagster processes for one test or benchmark, stopped by their own PIDs."""
