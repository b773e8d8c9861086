"""The disclosure audit as a property of the scale-1 sample (slow: a full refresh of the
realistic sample; the default run checks the small sample in test_slice_end_to_end.py)."""

from __future__ import annotations

import pytest

from orchestration.sample_data import generate
from tests.conftest import refresh_platform
from tests.release_checks import assert_release_cannot_be_undone


@pytest.mark.slow
def test_the_scale_one_release_cannot_be_undone(tmp_path):
    landing = tmp_path / "landing_scale_1"
    generate(landing, scale=1, seed=42)
    root = tmp_path / "root"
    with refresh_platform(landing, root) as (_, job, instance):
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
    assert_release_cannot_be_undone(root / "published" / "published.duckdb", least_hidden=10_000)
