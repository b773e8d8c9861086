"""Deliver alerts by SMTP and webhook.

Every function here returns True/False and never raises into the caller: an alert must never
fail a sensor tick, let alone a data run. Each send makes up to ``attempts`` tries with a
timeout and doubling backoff; errors that a retry cannot fix (bad login, rejected recipients,
HTTP 4xx other than 429) stop at the first try. Logs never contain the SMTP password or the
webhook URL's path (Slack and Teams URLs embed a secret), only its host.
"""

from __future__ import annotations

import email.policy
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from orchestration.alerts.config import AlertSettings, SmtpSettings
from orchestration.alerts.messages import Alert, render_email, render_webhook_payload

logger = logging.getLogger("orchestration.alerts")

DEFAULT_ATTEMPTS = 3
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_BACKOFF_SECONDS = 1.0
# No header folding below the RFC 5322 limit: a folded subject reads back with a leading space
# in some parsers (Python's among them).
EMAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)

Sleep = Callable[[float], None]


PERMANENT_SMTP_ERRORS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
)


class PermanentSendError(Exception):
    """A failure that retrying will not fix."""


def deliver(
    alert: Alert,
    settings: AlertSettings,
    channels: Iterable[str] | None = None,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
) -> dict[str, bool]:
    """Send ``alert`` on each configured channel (or only ``channels``); return success per channel.

    Channels that are not configured are skipped and do not appear in the result.
    """
    wanted = settings.channels if channels is None else [c for c in channels if c in settings.channels]
    options = {"attempts": attempts, "timeout": timeout, "backoff_seconds": backoff_seconds}
    results: dict[str, bool] = {}
    for channel in wanted:
        if channel == "email":
            subject, body = render_email(alert)
            results[channel] = send_email(settings.smtp, subject, body, **options)
        elif channel == "webhook":
            payload = render_webhook_payload(alert, settings.webhook_format, settings.webhook_url)
            results[channel] = post_webhook(settings.webhook_url, payload, **options)
    return results


def send_email(
    smtp: SmtpSettings,
    subject: str,
    body: str,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    sleep: Sleep = time.sleep,
) -> bool:
    message = _email_message(smtp, subject, body)
    target = f"SMTP {smtp.host}:{smtp.port}"
    return _with_retries(
        lambda: _smtp_send(smtp, message, timeout), target, attempts, backoff_seconds, sleep
    )


def post_webhook(
    url: str,
    payload: dict,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    sleep: Sleep = time.sleep,
) -> bool:
    data = json.dumps(payload).encode("utf-8")
    target = f"webhook {urlsplit(url).scheme}://{urlsplit(url).netloc.rpartition('@')[2]}"
    return _with_retries(lambda: _http_post(url, data, timeout), target, attempts, backoff_seconds, sleep)


def _with_retries(
    send: Callable[[], None], target: str, attempts: int, backoff_seconds: float, sleep: Sleep
) -> bool:
    for attempt in range(1, attempts + 1):
        try:
            send()
            return True
        except PermanentSendError as error:
            logger.error("Alert to %s failed and will not be retried now: %s", target, error)
            return False
        except Exception as error:  # noqa: BLE001 - an alert must never raise into Dagster
            logger.warning("Alert to %s failed (attempt %d of %d): %r", target, attempt, attempts, error)
            if attempt < attempts:
                sleep(backoff_seconds * 2 ** (attempt - 1))
    logger.error("Alert to %s failed after %d attempts", target, attempts)
    return False


def _email_message(smtp: SmtpSettings, subject: str, body: str) -> EmailMessage:
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="send-data-platform")
    message.set_content(body)
    return message


def _smtp_send(smtp: SmtpSettings, message: EmailMessage, timeout: float) -> None:
    tls_context = ssl.create_default_context()
    if smtp.tls == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=tls_context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    try:
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=tls_context)
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except PERMANENT_SMTP_ERRORS as error:
        raise PermanentSendError(f"{type(error).__name__}: {_smtp_reason(error)}") from None


def _smtp_reason(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"refused {sorted(error.recipients)}"
    code = getattr(error, "smtp_code", "")
    return f"server said {code}"


def _http_post(url: str, data: bytes, timeout: float) -> None:
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500 and error.code != 429:
            raise PermanentSendError(f"HTTP {error.code} {error.reason}") from None
        raise
