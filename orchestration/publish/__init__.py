"""Read-only publication of gold for BI tools (see publisher.py and docs/BI.md)."""

from orchestration.publish.publisher import (
    CURRENT_LINK,
    PUBLISHED_FILE,
    PublishError,
    PublishResult,
    current_version,
    released,
    gold_model_names,
    publish,
    read_manifest,
)

__all__ = [
    "CURRENT_LINK",
    "PUBLISHED_FILE",
    "PublishError",
    "PublishResult",
    "current_version",
    "released",
    "gold_model_names",
    "publish",
    "read_manifest",
]
