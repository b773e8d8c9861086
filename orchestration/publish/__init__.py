"""Read-only publication of gold for BI tools (see publisher.py and docs/BI.md)."""

from orchestration.publish.publisher import (
    CURRENT_LINK,
    DEFAULT_EXTERNAL_TABLES,
    DisclosureRule,
    PUBLISHED_FILE,
    PublishError,
    PublishResult,
    current_version,
    disclosure_controlled,
    gold_model_names,
    publish,
    read_manifest,
)

__all__ = [
    "CURRENT_LINK",
    "DEFAULT_EXTERNAL_TABLES",
    "DisclosureRule",
    "PUBLISHED_FILE",
    "PublishError",
    "PublishResult",
    "current_version",
    "disclosure_controlled",
    "gold_model_names",
    "publish",
    "read_manifest",
]
