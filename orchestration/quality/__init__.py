"""Data-quality logic in plain Python: Great Expectations suites and their results."""
