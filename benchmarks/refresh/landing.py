"""The bench's landing folder: a generated sample, and the nights the benchmark adds to it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from orchestration import contract

SAMPLE_MANIFEST = "SAMPLE_DATA.json"
CHANGED_FILE = "annual_review.csv"
CHANGED_COLUMN = "review_decision_date"
DATE_FORMAT = "%d/%m/%Y"


def has_sample(landing: Path, scale: float, seed: int) -> bool:
    manifest = landing / SAMPLE_MANIFEST
    if not manifest.is_file():
        return False
    written = json.loads(manifest.read_text(encoding="utf-8"))
    return written.get("scale") == scale and written.get("seed") == seed


def remove_added_nights(landing: Path) -> None:
    """Back to the generated landing folder: drop the Synergy nights a previous bench added."""
    manifest = json.loads((landing / SAMPLE_MANIFEST).read_text(encoding="utf-8"))
    generated = set(manifest["scenario"]["extract_dates"])
    for folder in synergy_nights(landing):
        if folder.name not in generated:
            shutil.rmtree(folder)


def synergy_nights(landing: Path) -> list[Path]:
    root = landing / contract.LANDING_SYNERGY
    return sorted(p for p in root.iterdir() if p.is_dir() and _is_date(p.name))


def snapshot_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def add_night(landing: Path, changed_rows: int = 0) -> Path:
    """Copy the latest Synergy night to the next date, with ``changed_rows`` annual reviews'
    decision dates moved a day later; ``_SUCCESS`` is written last, as Synergy's job does."""
    latest = synergy_nights(landing)[-1]
    night = latest.with_name((dt.date.fromisoformat(latest.name) + dt.timedelta(days=1)).isoformat())
    night.mkdir()
    for source in sorted(latest.iterdir()):
        if source.name != contract.SYNERGY_SUCCESS_MARKER:
            shutil.copyfile(source, night / source.name)
    if changed_rows:
        _change_rows(night / CHANGED_FILE, changed_rows)
    (night / contract.SYNERGY_SUCCESS_MARKER).write_text("", encoding="utf-8")
    return night


def _change_rows(path: Path, rows: int) -> None:
    lines = path.read_bytes().split(b"\n")
    column = lines[0].rstrip(b"\r").split(b",").index(CHANGED_COLUMN.encode())
    changed = 0
    for i, line in enumerate(lines[1:], start=1):
        if changed == rows:
            break
        fields = line.rstrip(b"\r").split(b",")
        if len(fields) <= column or not _is_day(fields[column].decode()):
            continue
        later = dt.datetime.strptime(fields[column].decode(), DATE_FORMAT) + dt.timedelta(days=1)
        fields[column] = later.strftime(DATE_FORMAT).encode()
        lines[i] = b",".join(fields) + (b"\r" if line.endswith(b"\r") else b"")
        changed += 1
    if changed < rows:
        raise ValueError(f"only {changed} of {rows} rows of {path} could be changed")
    path.write_bytes(b"\n".join(lines))


def _is_date(name: str) -> bool:
    try:
        dt.date.fromisoformat(name)
    except ValueError:
        return False
    return True


def _is_day(text: str) -> bool:
    try:
        dt.datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        return False
    return True
