"""Realistic, deterministic sample data for the landing zone (sample only, no real people).

``generate(out, scale, seed, defects)`` writes a full landing root: two nightly Synergy
snapshots, a GIAS extract, six years of the SRP register, five years of SRP school returns
and the DfE benchmark file, plus ``SAMPLE_DATA.json`` (the manifest). See ``cli.py``.
"""


def generate(*args, **kwargs):
    from orchestration.sample_data.cli import generate as _generate

    return _generate(*args, **kwargs)


__all__ = ["generate"]
