"""Alert settings read from environment variables.

| Variable                    | Meaning                                             | Default                 |
|-----------------------------|-----------------------------------------------------|-------------------------|
| SEND_ALERT_SMTP_HOST        | mail server; email is off when unset                | (off)                   |
| SEND_ALERT_SMTP_PORT        | mail server port                                    | 25                      |
| SEND_ALERT_SMTP_TLS         | ``none``, ``starttls`` or ``ssl``                   | none                    |
| SEND_ALERT_SMTP_USER        | login user; no login when unset                     | (no login)              |
| SEND_ALERT_SMTP_PASSWORD    | login password (never logged, never in repr)        |                         |
| SEND_ALERT_FROM             | sender address                                      | send-data-platform@localhost |
| SEND_ALERT_TO               | comma-separated recipients; email is off when unset | (off)                   |
| SEND_ALERT_WEBHOOK_URL      | Slack / Teams incoming webhook; off when unset      | (off)                   |
| SEND_ALERT_WEBHOOK_FORMAT   | ``auto``, ``slack`` or ``teams`` (see messages.py)  | auto                    |
| SEND_UI_BASE_URL            | Dagster UI address used for run links               | http://127.0.0.1:3000   |

Settings are read on every sensor tick, so a changed variable takes effect without a
redeploy of the code location's definitions (the process still needs the new environment).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

TLS_MODES = ("none", "starttls", "ssl")
WEBHOOK_FORMATS = ("auto", "slack", "teams")
DEFAULT_SMTP_PORT = 25
DEFAULT_SENDER = "send-data-platform@localhost"
DEFAULT_UI_BASE_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AlertSettings:
    smtp: SmtpSettings | None
    webhook_url: str | None = field(default=None, repr=False)  # Slack/Teams URLs embed a secret
    webhook_format: str = "auto"
    ui_base_url: str = DEFAULT_UI_BASE_URL

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels that are configured, e.g. ``("email", "webhook")``."""
        enabled = []
        if self.smtp is not None:
            enabled.append("email")
        if self.webhook_url:
            enabled.append("webhook")
        return tuple(enabled)


def load_settings(environ: Mapping[str, str] | None = None) -> AlertSettings:
    """Read settings; raise ValueError naming the variable when a value is malformed."""
    env = os.environ if environ is None else environ
    return AlertSettings(
        smtp=_load_smtp(env),
        webhook_url=_get(env, "SEND_ALERT_WEBHOOK_URL"),
        webhook_format=_choice(env, "SEND_ALERT_WEBHOOK_FORMAT", WEBHOOK_FORMATS, "auto"),
        ui_base_url=(_get(env, "SEND_UI_BASE_URL") or DEFAULT_UI_BASE_URL).rstrip("/"),
    )


def _load_smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = _get(env, "SEND_ALERT_SMTP_HOST")
    recipients = tuple(
        address.strip() for address in (_get(env, "SEND_ALERT_TO") or "").split(",") if address.strip()
    )
    if not host or not recipients:
        return None
    return SmtpSettings(
        host=host,
        port=_port(env),
        tls=_choice(env, "SEND_ALERT_SMTP_TLS", TLS_MODES, "none"),
        sender=_get(env, "SEND_ALERT_FROM") or DEFAULT_SENDER,
        recipients=recipients,
        user=_get(env, "SEND_ALERT_SMTP_USER"),
        password=_get(env, "SEND_ALERT_SMTP_PASSWORD"),
    )


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _port(env: Mapping[str, str]) -> int:
    raw = _get(env, "SEND_ALERT_SMTP_PORT")
    if raw is None:
        return DEFAULT_SMTP_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"SEND_ALERT_SMTP_PORT must be a port number, got {raw!r}")
    return int(raw)


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (_get(env, name) or default).lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value
