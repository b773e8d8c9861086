"""Build alerts and render them as an email and a webhook post.

An ``Alert`` covers ONE run: the run's failed checks (``CheckFinding``s) and, for a failed run,
its failed steps. Grouping per run keeps a bad night to one email and one post.

No personal data: alerts carry asset keys, check names, severities, step keys, exception
class names and metadata values that are numbers or short lower-case labels (see
``safe_counts``), and the landing paths of unreadable school returns (a file name under
``school_returns/`` names a school's workbook, not a person). Check descriptions, error
messages and free text are never included; the run link leads to the details for those
allowed to see them.

Webhook payloads (``render_webhook_payload``), chosen by ``SEND_ALERT_WEBHOOK_FORMAT``:

- ``slack``: ``{"text": "..."}``. Slack incoming webhooks need only ``text``.
- ``teams``: ``{"type": "message", "text": "...", "attachments": [<Adaptive Card>]}``, the
  shape the Teams Workflows "When a Teams webhook request is received" template posts
  (Workflows accept Adaptive Cards only; the retired Office 365 connectors took ``text``).
- ``auto`` (default): ``teams`` for Microsoft hosts (logic.azure.com, powerplatform.com,
  webhook.office.com), otherwise ``slack``.

One payload for both is not safe: Slack validates ``attachments`` as its own legacy
attachments and rejects the Teams card shape with ``invalid_attachments``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

SUBJECT_PREFIX = "[SEND data platform]"
ERROR = "ERROR"
WARN = "WARN"
MAX_COUNTS_PER_FINDING = 8
MICROSOFT_WEBHOOK_HOSTS = ("logic.azure.com", "powerplatform.com", "webhook.office.com")

# A short lower-case token such as a column name or a status ("fail", "upn", "not_null").
# Names, postcodes, UPNs, dates and sentences do not match.
_LABEL = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")
# Keys that name data samples rather than aggregates. Numbers are dropped only for the first
# two ("observed_value" of an aggregate check is a useful count); labels for all of them.
_SAMPLE_KEY_WORDS = ("sample", "example")
_ROW_KEY_WORDS = ("value", "row", "record")
# Landing paths of unreadable school returns, "; "-separated
# (orchestration/quality/unreadable_returns.py).
# Metadata keys that may name landed files in an alert ("; "-separated, landing-relative):
# file names are not values from the data, and each must sit under a source's landing folder.
RETURN_FILES_KEY = "unreadable_return_files"
UNUSABLE_FILES_KEY = "unusable_files"
_NAME = r"/[^\x00-\x1f\x7f]{1,250}$"
_LANDED_FILE_KEYS = {  # key -> the landing folders its names must sit under
    RETURN_FILES_KEY: re.compile(r"^school_returns" + _NAME),
    UNUSABLE_FILES_KEY: re.compile(r"^(?:synergy|gias|srp_register|school_returns|dfe)" + _NAME),
}


@dataclass(frozen=True)
class CheckFinding:
    """One check evaluation that did not pass."""

    asset: str
    check: str
    severity: str  # "ERROR" or "WARN"
    counts: Mapping[str, int | float | bool | str]
    blocking: bool = False


@dataclass(frozen=True)
class FailedStep:
    step_key: str
    error_class: str | None = None


@dataclass(frozen=True)
class Alert:
    title: str
    severity: str  # "ERROR" or "WARN"
    run_id: str
    run_url: str
    job_name: str
    findings: tuple[CheckFinding, ...] = ()
    failed_steps: tuple[FailedStep, ...] = ()
    run_failed: bool = False


def run_url(ui_base_url: str, run_id: str) -> str:
    return f"{ui_base_url.rstrip('/')}/runs/{run_id}"


def safe_counts(metadata: Mapping[str, object]) -> dict[str, int | float | bool | str]:
    """Keep only metadata that cannot carry personal data: numbers and short labels."""
    items = sorted(metadata.items())
    numbers = {
        k: v for k, v in items if isinstance(v, (bool, int, float)) and not _names_sample(k)
    }
    labels = {k: v for k, v in items if isinstance(v, str) and _is_safe_label(k, v)}
    files = {k: v for k, v in items if k in _LANDED_FILE_KEYS and isinstance(v, str)
             and all(_LANDED_FILE_KEYS[k].match(name) for name in v.split("; "))}
    # Counts matter most, so they go first when a check reports more than fits.
    return dict(list({**numbers, **labels, **files}.items())[:MAX_COUNTS_PER_FINDING])


def _names_sample(key: str) -> bool:
    return any(word in key.lower() for word in _SAMPLE_KEY_WORDS)


def _is_safe_label(key: str, value: str) -> bool:
    lowered = key.lower()
    if lowered.endswith("id") or _names_sample(key) or any(w in lowered for w in _ROW_KEY_WORDS):
        return False
    return bool(_LABEL.match(value))


def build_check_alert(
    run_id: str, job_name: str, findings: Iterable[CheckFinding], ui_base_url: str
) -> Alert:
    ordered = _ordered(findings)
    errors = sum(1 for finding in ordered if finding.severity == ERROR)
    warnings = len(ordered) - errors
    breakdown = [_plural(n, noun) for n, noun in ((errors, "error"), (warnings, "warning")) if n]
    title = (
        f"{_plural(len(ordered), 'check')} did not pass ({', '.join(breakdown)}) "
        f"in run {run_id[:8]} of {job_name}"
    )
    return Alert(
        title=title,
        severity=ERROR if errors else WARN,
        run_id=run_id,
        run_url=run_url(ui_base_url, run_id),
        job_name=job_name,
        findings=ordered,
    )


def build_run_failure_alert(
    run_id: str,
    job_name: str,
    failed_steps: Iterable[FailedStep],
    findings: Iterable[CheckFinding],
    ui_base_url: str,
) -> Alert:
    ordered = _ordered(findings)
    steps = tuple(failed_steps)
    title = f"Run {run_id[:8]} of {job_name} failed"
    if ordered:
        title += f"; {_plural(len(ordered), 'check')} did not pass"
    return Alert(
        title=title,
        severity=ERROR,
        run_id=run_id,
        run_url=run_url(ui_base_url, run_id),
        job_name=job_name,
        findings=ordered,
        failed_steps=steps,
        run_failed=True,
    )


def render_email(alert: Alert) -> tuple[str, str]:
    """Return (subject, plain-text body)."""
    subject = f"{SUBJECT_PREFIX} {alert.severity}: {alert.title}"
    return subject, render_text(alert)


def render_text(alert: Alert) -> str:
    lines = [
        alert.title,
        "",
        f"Severity: {alert.severity}",
        f"Job: {alert.job_name}",
        f"Run: {alert.run_id}{' (FAILED)' if alert.run_failed else ''}",
        f"Open the run: {alert.run_url}",
    ]
    if alert.findings:
        lines += ["", f"Checks that did not pass ({len(alert.findings)}):"]
        lines += [f"- {describe_finding(finding)}" for finding in alert.findings]
    if alert.failed_steps:
        lines += ["", f"Failed steps ({len(alert.failed_steps)}):"]
        lines += [f"- {describe_step(step)}" for step in alert.failed_steps]
    lines += [
        "",
        "This alert names assets, checks and counts only; open the run for the details.",
    ]
    return "\n".join(lines) + "\n"


def describe_finding(finding: CheckFinding) -> str:
    blocking = " (blocking)" if finding.blocking else ""
    counts = ", ".join(f"{key}={value}" for key, value in finding.counts.items())
    text = f"{finding.severity} {finding.asset} / {finding.check}{blocking}"
    return f"{text}: {counts}" if counts else text


def describe_step(step: FailedStep) -> str:
    return f"{step.step_key}: {step.error_class}" if step.error_class else step.step_key


def render_webhook_payload(alert: Alert, webhook_format: str, webhook_url: str = "") -> dict:
    if resolve_webhook_format(webhook_format, webhook_url) == "teams":
        return _teams_payload(alert)
    return {"text": render_text(alert)}


def resolve_webhook_format(webhook_format: str, webhook_url: str) -> str:
    if webhook_format != "auto":
        return webhook_format
    host = (urlsplit(webhook_url).hostname or "").lower()
    is_microsoft = any(host == h or host.endswith("." + h) for h in MICROSOFT_WEBHOOK_HOSTS)
    return "teams" if is_microsoft else "slack"


def _teams_payload(alert: Alert) -> dict:
    body: list[dict] = [
        {"type": "TextBlock", "text": alert.title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": "Severity", "value": alert.severity},
                {"title": "Job", "value": alert.job_name},
                {"title": "Run", "value": alert.run_id},
            ],
        },
    ]
    body += [_text_block(describe_finding(finding)) for finding in alert.findings]
    body += [_text_block(f"Failed step {describe_step(step)}") for step in alert.failed_steps]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open the run", "url": alert.run_url}],
    }
    return {
        "type": "message",
        "text": render_text(alert),
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _text_block(text: str) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, "spacing": "Small"}


def _ordered(findings: Iterable[CheckFinding]) -> tuple[CheckFinding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.severity != ERROR, f.asset, f.check)))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
