"""Helpers of benchmarks/run.py: the platform's refresh, lower bound and BI query benchmarks."""
