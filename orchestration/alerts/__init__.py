"""Data-quality alerting: tell the data team when a run fails or a check fails or warns.

Plain Python, no Dagster imports, so the logic is unit-testable on its own:

- ``config``   settings from ``SEND_ALERT_*`` environment variables (each channel is off when unset)
- ``messages`` the ``Alert`` value object and its email / webhook renderings
- ``senders``  SMTP and webhook delivery with timeouts and bounded retries; never raises

The Dagster wiring (sensors) lives in ``orchestration.defs.alerts``.
"""

from orchestration.alerts.config import AlertSettings, SmtpSettings, load_settings
from orchestration.alerts.messages import (
    Alert,
    CheckFinding,
    build_check_alert,
    build_run_failure_alert,
    render_email,
    render_webhook_payload,
)
from orchestration.alerts.senders import deliver, post_webhook, send_email

__all__ = [
    "Alert",
    "AlertSettings",
    "CheckFinding",
    "SmtpSettings",
    "build_check_alert",
    "build_run_failure_alert",
    "deliver",
    "load_settings",
    "post_webhook",
    "render_email",
    "render_webhook_payload",
    "send_email",
]
