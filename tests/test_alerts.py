"""Data-quality alerting: messages, senders and the two sensors, against a real local SMTP
server and HTTP receiver (tests/alert_receivers.py) and a real SQLite Dagster instance."""

from __future__ import annotations

import json
import logging
import shutil
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest
from alert_receivers import (  # noqa: F401 - fixtures
    ALERT_TO,
    UI_BASE_URL,
    SmtpReceiver,
    alert_env,
    closed_port,
    smtp_receiver,
    webhook_receiver,
)

from orchestration.alerts import config, messages, senders
from orchestration.alerts.messages import CheckFinding, FailedStep
from orchestration.defs.alerts import sensors
from orchestration.defs.alerts.sensors import check_alert_sensor, run_failure_alert_sensor
from orchestration.unchanged_build import UNCHANGED_SINCE_RUN

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

NO_WAIT = {"attempts": 2, "timeout": 2.0, "backoff_seconds": 0.0}


# ---------------------------------------------------------------- toy platform


@dg.asset
def pupils() -> int:
    return 120


@dg.asset(deps=[pupils])
def pupil_summary() -> int:
    return 12


@dg.asset(deps=[pupils])
def gold_report() -> int:
    raise ValueError("could not build report for Jane Doe")


@dg.asset_check(asset=pupils, name="upn_format")
def upn_format_warns() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description="UPN A123456789012 for Jane Doe is malformed",
        metadata={
            "unexpected_count": 3,
            "unexpected_percent": 2.5,
            "column": "upn",
            "partial_unexpected_list": ["A123456789012"],
            "first_bad_name": "Jane Doe",
        },
    )


@dg.asset_check(asset=pupil_summary, name="not_null_upn", blocking=True)
def not_null_upn_fails() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={"dagster_dbt/failed_row_count": 7}
    )


@dg.asset_check(asset=pupils, name="row_count_positive")
def row_count_passes() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"row_count": 120})


@dg.asset_check(asset=pupils, name="upn_format")
def upn_format_restated() -> dg.AssetCheckResult:
    """The same warning re-stated on a quiet night: the tables are those it was found on."""
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"unexpected_count": 3, UNCHANGED_SINCE_RUN: "0123abcd"},
    )


WARN_NIGHT = [pupils, upn_format_warns]
QUIET_NIGHT = [pupils, upn_format_restated]
CLEAN_NIGHT = [pupils, pupil_summary, row_count_passes]
DEFECT_NIGHT = [pupils, pupil_summary, gold_report, upn_format_warns, not_null_upn_fails]
CRASH_NIGHT = [pupils, pupil_summary, gold_report, row_count_passes]  # fails with no failed check


NIGHTS = {"warn": WARN_NIGHT, "clean": CLEAN_NIGHT, "defect": DEFECT_NIGHT, "crash": CRASH_NIGHT,
          "quiet": QUIET_NIGHT}


@pytest.fixture(scope="module")
def dagster_home_after(tmp_path_factory):
    """Dagster homes built once per module: ``"empty"``, or after one run of a toy night.

    Creating an instance and materialising cost seconds each; copying a home costs ~0.1 s.
    """
    homes = {}

    def build(night: str) -> Path:
        if night not in homes:
            home = tmp_path_factory.mktemp(f"dagster_home_{night}")
            if night != "empty":
                shutil.copytree(build("empty"), home, dirs_exist_ok=True)
            with dg.instance_for_test(temp_dir=str(home)) as instance:
                if night != "empty":
                    materialize(NIGHTS[night], instance)
            homes[night] = home
        return homes[night]

    return build


@pytest.fixture
def instance_after(dagster_home_after, tmp_path):
    """``instance_after(night)`` -> (fresh SQLite instance holding that night's run, the run).

    The storage is run-sharded, like the default DAGSTER_HOME storage of the project.
    """
    with ExitStack() as stack:

        def open_copy(night: str) -> tuple[dg.DagsterInstance, dg.DagsterRun | None]:
            home = tmp_path / "dagster_home"
            shutil.copytree(dagster_home_after(night), home)
            instance = stack.enter_context(dg.instance_for_test(temp_dir=str(home)))
            assert instance.event_log_storage.is_run_sharded
            runs = instance.get_runs()
            return instance, runs[0] if runs else None

        yield open_copy


def materialize(assets, instance) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, instance=instance, raise_on_error=False)


def tick_check_sensor(instance, cursor=None) -> dg.SensorResult:
    return check_alert_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def tick_failure_sensor(instance, cursor):
    """The daemon's path: cursor handling, run matching and error capture included."""
    return run_failure_alert_sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def run_failure_sensor_on(run: dg.DagsterRun, instance) -> None:
    (failure,) = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure.event_log_entry.dagster_event,
    )
    run_failure_alert_sensor(context)


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(sensors, "RETRY_BASE_SECONDS", 0.0)
    monkeypatch.setattr(sensors, "CHECK_SENSOR_SEND_OPTIONS", NO_WAIT)
    monkeypatch.setattr(sensors, "FAILURE_SENSOR_SEND_OPTIONS", NO_WAIT)


# ---------------------------------------------------------------- config


def test_settings_turn_each_channel_off_when_unset():
    settings = config.load_settings({"SEND_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"})
    assert settings.smtp is None
    assert settings.channels == ("webhook",)
    assert settings.ui_base_url == "http://127.0.0.1:3000"
    assert config.load_settings({}).channels == ()


def test_settings_read_smtp_and_hide_secrets():
    settings = config.load_settings(
        {
            "SEND_ALERT_SMTP_HOST": "smtp.council.example",
            "SEND_ALERT_SMTP_TLS": "STARTTLS",
            "SEND_ALERT_SMTP_USER": "alerts",
            "SEND_ALERT_SMTP_PASSWORD": "hunter2",
            "SEND_ALERT_TO": "a@council.example, b@council.example,",
            "SEND_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/very-secret",
            "SEND_UI_BASE_URL": "https://dagster.council.example/",
        }
    )
    assert settings.smtp.port == 25
    assert settings.smtp.tls == "starttls"
    assert settings.smtp.recipients == ("a@council.example", "b@council.example")
    assert settings.smtp.sender == "send-data-platform@localhost"
    assert settings.ui_base_url == "https://dagster.council.example"
    assert "hunter2" not in repr(settings) and "very-secret" not in repr(settings)


@pytest.mark.parametrize(
    "name, value",
    [
        ("SEND_ALERT_SMTP_TLS", "tls1.3"),
        ("SEND_ALERT_SMTP_PORT", "smtp"),
        ("SEND_ALERT_WEBHOOK_FORMAT", "discord"),
    ],
)
def test_settings_reject_malformed_values(name, value):
    env = {"SEND_ALERT_SMTP_HOST": "smtp.example", "SEND_ALERT_TO": "a@example", name: value}
    with pytest.raises(ValueError, match=name):
        config.load_settings(env)


# ---------------------------------------------------------------- messages


def test_safe_counts_keep_numbers_and_labels_but_no_personal_data():
    counts = messages.safe_counts(
        {
            "unexpected_count": 3,
            "unexpected_percent": 2.5,
            "column": "upn",
            "status": "fail",
            "first_bad_name": "Jane Doe",
            "upn": "A123456789012",
            "postcode": "ab1 2cd",
            "partial_unexpected_list": ["A123456789012"],
            "sample_value": "smith",
            "example_dob": 20150101,
            "observed_value": 118,
            "unique_id": "test.send.not_null",
        }
    )
    assert list(counts.items()) == [
        ("observed_value", 118),
        ("unexpected_count", 3),
        ("unexpected_percent", 2.5),
        ("column", "upn"),
        ("status", "fail"),
    ]


def defect_alert() -> messages.Alert:
    return messages.build_run_failure_alert(
        run_id="0123456789abcdef",
        job_name="nightly",
        failed_steps=[FailedStep("gold_report", "ValueError")],
        findings=[
            CheckFinding("pupils", "upn_format", "WARN", {"unexpected_count": 3}),
            CheckFinding(
                "silver/pupil_summary", "not_null_upn", "ERROR", {"failed_row_count": 7}, blocking=True
            ),
        ],
        ui_base_url="https://dagster.example/",
    )


def test_email_names_run_steps_and_checks_errors_first():
    subject, body = messages.render_email(defect_alert())
    assert subject == "[SEND data platform] ERROR: Run 01234567 of nightly failed; 2 checks did not pass"
    assert "Open the run: https://dagster.example/runs/0123456789abcdef" in body
    error_line = body.index("- ERROR silver/pupil_summary / not_null_upn (blocking): failed_row_count=7")
    warn_line = body.index("- WARN pupils / upn_format: unexpected_count=3")
    assert error_line < warn_line
    assert "- gold_report: ValueError" in body


def test_check_alert_summarises_severities():
    alert = messages.build_check_alert(
        "fedcba9876543210", "nightly", [CheckFinding("pupils", "upn_format", "WARN", {})], "http://ui"
    )
    assert alert.severity == "WARN"
    assert alert.title == "1 check did not pass (1 warning) in run fedcba98 of nightly"
    assert alert.run_url == "http://ui/runs/fedcba9876543210"


def test_slack_payload_is_plain_text():
    url = "https://hooks.slack.com/services/T/B/x"
    payload = messages.render_webhook_payload(defect_alert(), "auto", url)
    assert list(payload) == ["text"]
    assert "not_null_upn" in payload["text"]
    assert "https://dagster.example/runs/0123456789abcdef" in payload["text"]


def test_teams_payload_carries_text_and_an_adaptive_card():
    url = "https://prod-01.uksouth.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"
    payload = messages.render_webhook_payload(defect_alert(), "auto", url)
    assert payload["type"] == "message" and "gold_report" in payload["text"]
    (attachment,) = payload["attachments"]
    card = attachment["content"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard"
    assert card["actions"][0]["url"] == "https://dagster.example/runs/0123456789abcdef"
    assert any("not_null_upn" in block.get("text", "") for block in card["body"])
    json.dumps(payload)  # serialisable as sent


# ---------------------------------------------------------------- senders


def test_send_email_delivers_to_real_smtp_server(smtp_receiver):
    recipients = ("b@x.test", "c@x.test")
    smtp = config.SmtpSettings(smtp_receiver.host, smtp_receiver.port, "none", "a@x.test", recipients)
    assert senders.send_email(smtp, "Subject here", "Body with run link\n") is True
    (message,) = smtp_receiver.wait_for(1)
    assert message["Subject"] == "Subject here"
    assert message.get_content() == "Body with run link\n"
    assert smtp_receiver.envelopes == [("a@x.test", ["b@x.test", "c@x.test"])]


def test_send_email_to_closed_port_logs_retries_and_returns_false(closed_port, caplog):
    smtp = config.SmtpSettings("127.0.0.1", closed_port, "none", "a@x.test", ("b@x.test",), "user", "hunter2")
    waits = []
    with caplog.at_level(logging.WARNING, logger="orchestration.alerts"):
        sent = senders.send_email(smtp, "s", "b", attempts=3, backoff_seconds=0.5, sleep=waits.append)
    assert sent is False
    assert waits == [0.5, 1.0]
    assert f"127.0.0.1:{closed_port} failed after 3 attempts" in caplog.text
    assert "hunter2" not in caplog.text


@pytest.fixture
def smtp_with_login():
    receiver = SmtpReceiver(credentials=("alerts", "correct horse"))
    receiver.start()
    yield receiver
    receiver.stop()


def test_send_email_logs_in_when_a_user_is_set(smtp_with_login):
    smtp = config.SmtpSettings(
        smtp_with_login.host,
        smtp_with_login.port,
        "none",
        "a@x.test",
        ("b@x.test",),
        "alerts",
        "correct horse",
    )
    assert senders.send_email(smtp, "with login", "body\n") is True
    assert smtp_with_login.logins == [("alerts", True)]
    assert smtp_with_login.wait_for(1)[0]["Subject"] == "with login"


def test_wrong_password_is_not_retried_and_never_logged(smtp_with_login, caplog):
    smtp = config.SmtpSettings(
        smtp_with_login.host, smtp_with_login.port, "none", "a@x.test", ("b@x.test",), "alerts", "hunter2"
    )
    with caplog.at_level(logging.WARNING, logger="orchestration.alerts"):
        assert senders.send_email(smtp, "s", "b", attempts=3, sleep=lambda _: None) is False
    # smtplib tries PLAIN, then LOGIN, within one attempt; a retry would log in twice more.
    assert smtp_with_login.logins == [("alerts", False), ("alerts", False)]
    assert "SMTPAuthenticationError" in caplog.text and "will not be retried" in caplog.text
    assert "hunter2" not in caplog.text
    assert smtp_with_login.messages == []


def post_without_waiting(url: str) -> bool:
    return senders.post_webhook(url, {"text": "hi"}, attempts=3, sleep=lambda _: None)


def test_post_webhook_retries_server_errors_but_not_client_errors(webhook_receiver, caplog):
    webhook_receiver.status = 503
    with caplog.at_level(logging.WARNING, logger="orchestration.alerts"):
        assert post_without_waiting(webhook_receiver.url) is False
        assert len(webhook_receiver.posts) == 3
        webhook_receiver.status = 400
        assert post_without_waiting(webhook_receiver.url) is False
    assert len(webhook_receiver.posts) == 4
    assert "HTTP 400" in caplog.text
    assert "secret-token" not in caplog.text  # the URL path is a credential


def test_post_webhook_sends_json(webhook_receiver):
    assert senders.post_webhook(webhook_receiver.url, {"text": "héllo"}) is True
    (post,) = webhook_receiver.posts
    assert post.json == {"text": "héllo"}
    assert post.headers["Content-Type"].startswith("application/json")
    assert post.path == "/hooks/alerts/secret-token"


def test_deliver_posts_the_teams_card_when_configured(webhook_receiver, smtp_receiver):
    settings = config.load_settings(
        {"SEND_ALERT_WEBHOOK_URL": webhook_receiver.url, "SEND_ALERT_WEBHOOK_FORMAT": "teams"}
    )

    assert senders.deliver(defect_alert(), settings) == {"webhook": True}

    (post,) = webhook_receiver.posts
    assert post.json["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert "gold_report: ValueError" in post.json["text"]
    assert smtp_receiver.messages == []  # email not configured, so not attempted


# ---------------------------------------------------------------- check_alert_sensor


def test_warning_night_gives_one_email_and_one_post_and_never_repeats(
    instance_after, alert_env, smtp_receiver, webhook_receiver
):
    instance, run = instance_after("warn")
    assert run.status == dg.DagsterRunStatus.SUCCESS

    first = tick_check_sensor(instance)

    (message,) = smtp_receiver.wait_for(1)
    run_link = f"{UI_BASE_URL}/runs/{run.run_id}"
    assert message["Subject"] == (
        "[SEND data platform] WARN: 1 check did not pass (1 warning) "
        f"in run {run.run_id[:8]} of __ephemeral_asset_job__"
    )
    assert message["To"] == ", ".join(ALERT_TO)
    body = message.get_content()
    assert "- WARN pupils / upn_format: unexpected_count=3, unexpected_percent=2.5, column=upn" in body
    assert f"Open the run: {run_link}" in body
    assert "Jane Doe" not in body and "A123456789012" not in body
    (post,) = webhook_receiver.posts
    assert "pupils / upn_format" in post.json["text"] and run_link in post.json["text"]
    assert json.loads(first.cursor)["seen"].keys() == {run.run_id}

    second = tick_check_sensor(instance, cursor=first.cursor)
    assert len(smtp_receiver.messages) == 1 and len(webhook_receiver.posts) == 1
    assert second.skip_reason.skip_message == "No new failed checks"


def test_quiet_night_does_not_alert_a_warning_again(
    instance_after, alert_env, smtp_receiver, webhook_receiver
):
    """A skipped build re-states last night's failed warning (unchanged_build.py); it was
    alerted when found and the tables have not changed since: no second alert."""
    instance, run = instance_after("quiet")
    (evaluation,) = [e for e in instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records]
    assert not evaluation.event_log_entry.dagster_event.asset_check_evaluation_data.passed

    result = tick_check_sensor(instance)

    assert result.skip_reason.skip_message == "No new failed checks"
    assert smtp_receiver.messages == [] and webhook_receiver.posts == []


def test_clean_night_sends_nothing(instance_after, alert_env, smtp_receiver, webhook_receiver):
    instance, run = instance_after("clean")
    assert run.status == dg.DagsterRunStatus.SUCCESS

    result = tick_check_sensor(instance)

    assert smtp_receiver.messages == [] and webhook_receiver.posts == []
    assert result.skip_reason.skip_message == "No new failed checks"
    assert run.run_id in json.loads(result.cursor)["seen"]


def test_defect_night_gives_one_email_and_one_post_from_both_sensors(
    instance_after, alert_env, smtp_receiver, webhook_receiver
):
    instance, run = instance_after("defect")
    assert run.status == dg.DagsterRunStatus.FAILURE

    run_failure_sensor_on(run, instance)  # leaves a run with failed checks to the check sensor
    tick_check_sensor(instance)

    (message,) = smtp_receiver.wait_for(1)
    assert message["Subject"] == (
        f"[SEND data platform] ERROR: Run {run.run_id[:8]} of __ephemeral_asset_job__ failed; "
        "2 checks did not pass"
    )
    body = message.get_content()
    assert "- ERROR pupil_summary / not_null_upn (blocking): dagster_dbt/failed_row_count=7" in body
    assert "- WARN pupils / upn_format: unexpected_count=3, unexpected_percent=2.5, column=upn" in body
    assert "- gold_report: ValueError" in body
    assert "- pupil_summary_not_null_upn: DagsterAssetCheckFailedError" in body
    assert f"Open the run: {UI_BASE_URL}/runs/{run.run_id}" in body
    assert "Jane Doe" not in body and "could not build" not in body
    (post,) = webhook_receiver.posts
    assert "not_null_upn" in post.json["text"] and "upn_format" in post.json["text"]


def test_unreachable_mail_server_is_retried_on_a_later_tick(
    instance_after, alert_env, smtp_receiver, webhook_receiver, fast_retries, caplog
):
    instance, run = instance_after("warn")
    smtp_receiver.stop()  # the port now refuses connections

    with caplog.at_level(logging.WARNING, logger="orchestration.alerts"):
        first = tick_check_sensor(instance)

    assert len(webhook_receiver.posts) == 1
    assert "failed after 2 attempts" in caplog.text
    assert json.loads(first.cursor)["retries"][run.run_id]["channels"] == ["email"]
    assert "email failed for run" in first.skip_reason.skip_message

    smtp_receiver.start()
    second = tick_check_sensor(instance, cursor=first.cursor)

    (message,) = smtp_receiver.wait_for(1)
    assert "pupils / upn_format" in message.get_content()
    assert len(webhook_receiver.posts) == 1  # the webhook that went out is not posted again
    assert json.loads(second.cursor)["retries"] == {}


def test_retries_stop_after_the_last_attempt(
    instance_after, alert_env, smtp_receiver, webhook_receiver, fast_retries, caplog
):
    instance, run = instance_after("warn")
    smtp_receiver.stop()
    cursor = None
    with caplog.at_level(logging.ERROR, logger="orchestration.alerts"):
        for _ in range(sensors.MAX_SEND_ATTEMPTS + 2):
            cursor = tick_check_sensor(instance, cursor=cursor).cursor

    assert json.loads(cursor)["retries"] == {}
    assert f"gave up on email for run {run.run_id} after {sensors.MAX_SEND_ATTEMPTS} attempts" in caplog.text
    assert len(webhook_receiver.posts) == 1


def test_channel_without_config_is_skipped(
    instance_after, alert_env, smtp_receiver, webhook_receiver, monkeypatch
):
    monkeypatch.delenv("SEND_ALERT_SMTP_HOST")
    instance, _ = instance_after("warn")

    result = tick_check_sensor(instance)

    assert len(webhook_receiver.posts) == 1 and smtp_receiver.messages == []
    assert json.loads(result.cursor)["retries"] == {}
    assert "sent webhook for run" in result.skip_reason.skip_message


def test_no_channel_configured_sends_nothing_and_says_so(
    instance_after, monkeypatch, smtp_receiver, webhook_receiver
):
    for name in ("SEND_ALERT_SMTP_HOST", "SEND_ALERT_TO", "SEND_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    instance, run = instance_after("warn")

    result = tick_check_sensor(instance)

    assert smtp_receiver.messages == [] and webhook_receiver.posts == []
    assert result.skip_reason.skip_message.startswith(f"no alert channel configured; run {run.run_id}")
    assert json.loads(result.cursor)["retries"] == {}


def test_unreadable_cursor_starts_afresh(
    instance_after, alert_env, smtp_receiver, webhook_receiver
):
    instance, _ = instance_after("warn")
    tick_check_sensor(instance, cursor="not json")
    assert len(smtp_receiver.wait_for(1)) == 1


# ---------------------------------------------------------------- run_failure_alert_sensor


def test_run_failure_without_failed_checks_alerts_from_the_failure_sensor(
    instance_after, alert_env, smtp_receiver, webhook_receiver
):
    instance, run = instance_after("crash")
    assert run.status == dg.DagsterRunStatus.FAILURE

    run_failure_sensor_on(run, instance)
    result = tick_check_sensor(instance)

    (message,) = smtp_receiver.wait_for(1)
    assert message["Subject"] == (
        f"[SEND data platform] ERROR: Run {run.run_id[:8]} of __ephemeral_asset_job__ failed"
    )
    body = message.get_content()
    assert "Failed steps (1):\n- gold_report: ValueError" in body
    assert "Checks that did not pass" not in body
    assert f"Open the run: {UI_BASE_URL}/runs/{run.run_id}" in body
    assert "Jane Doe" not in body
    (post,) = webhook_receiver.posts
    assert "gold_report: ValueError" in post.json["text"]
    assert result.skip_reason.skip_message == "No new failed checks"  # the check sensor stays quiet


def test_run_failure_sensor_through_the_daemon_tick_path(
    instance_after, alert_env, smtp_receiver, webhook_receiver
):
    instance, _ = instance_after("empty")
    first = tick_failure_sensor(instance, cursor=None)
    assert first.skip_message.startswith("Initiating run_failure_alert_sensor")
    run = materialize(CRASH_NIGHT, instance)

    second = tick_failure_sensor(instance, cursor=first.cursor)
    third = tick_failure_sensor(instance, cursor=second.cursor)

    assert [reaction.dagster_run.run_id for reaction in second.dagster_run_reactions] == [run.run_id]
    assert second.dagster_run_reactions[0].error is None
    assert third.dagster_run_reactions == []
    (message,) = smtp_receiver.wait_for(1)
    assert f"{UI_BASE_URL}/runs/{run.run_id}" in message.get_content()
    assert len(webhook_receiver.posts) == 1


def test_run_failure_sensor_survives_a_dead_mail_server(
    instance_after, alert_env, smtp_receiver, webhook_receiver, fast_retries, caplog
):
    instance, run = instance_after("crash")
    smtp_receiver.stop()

    with caplog.at_level(logging.WARNING, logger="orchestration.alerts"):
        run_failure_sensor_on(run, instance)

    assert "failed after 2 attempts" in caplog.text
    (post,) = webhook_receiver.posts
    assert f"Run {run.run_id[:8]}" in post.json["text"]


def test_alert_sensors_load_into_definitions():
    defs = dg.Definitions(assets=WARN_NIGHT, sensors=sensors.ALERT_SENSORS)
    repo = defs.get_repository_def()
    assert {s.name for s in repo.sensor_defs} == {"check_alert_sensor", "run_failure_alert_sensor"}
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in repo.sensor_defs)
