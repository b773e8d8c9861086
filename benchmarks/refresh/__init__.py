"""Helpers of benchmarks/run.py: the platform's refresh, its two one-process baselines (unorchestrated, floor) and the BI query benchmarks."""
