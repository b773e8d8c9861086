"""Builders for the ingestion tests: tiny landing areas written into tmp_path."""
