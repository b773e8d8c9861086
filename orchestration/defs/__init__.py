"""Dagster definitions, one folder per concern (loaded by orchestration/definitions.py)."""
