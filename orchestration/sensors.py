"""Run-failure alerting: a readable message in the sensor log and, when ALERT_WEBHOOK_URL is set,
the same message POSTed as JSON (Slack/Teams-compatible `text` field plus structured fields).

Errors can quote configuration (a URL with a token in its query, a DSN) or what a server echoed
(an `Authorization: Basic` header), so the message is scrubbed of the value of every environment
variable whose name ends in TOKEN, KEY, SECRET, PASSWORD or DSN, in each form it travels in (raw,
URL-quoted, base64, and Zendesk's basic-auth pair), before it leaves the process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
import requests

from orchestration.lib.http import redact, secret_forms
from orchestration.lib.settings import SECRET_NAME_SUFFIXES, load_settings
from orchestration.sources.zendesk.extract import zendesk_auth

_MIN_SECRET_LENGTH = 4  # shorter values ("1", "no") would blank out ordinary words
_MAX_ERROR_CHARS = 800
WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class FailedStep:
    step_key: str
    error: str


def scrub_secrets(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with every form of each secret-named environment variable replaced by `***`."""
    environ = load_settings().secret_env() if environ is None else environ
    secrets: set[str] = set()
    for name, value in environ.items():
        if name.upper().endswith(SECRET_NAME_SUFFIXES) and len(value) >= _MIN_SECRET_LENGTH:
            secrets |= secret_forms(value)
    email, token = environ.get("ZENDESK_EMAIL"), environ.get("ZENDESK_API_TOKEN")
    if email and token and len(token) >= _MIN_SECRET_LENGTH:
        secrets |= zendesk_auth(email, token).secrets
    return redact(text, secrets)


def _summary(error: str) -> str:
    error = error.strip()
    return error if len(error) <= _MAX_ERROR_CHARS else error[: _MAX_ERROR_CHARS - 3] + "..."


def failure_message(
    job_name: str, run_id: str, failed_steps: Sequence[FailedStep], run_error: str | None
) -> str:
    """The alert text: which job, which run, which steps failed and why (first lines)."""
    lines = [f"Dagster run failed: job `{job_name}`, run {run_id}"]
    for step in failed_steps:
        lines.append(f"- step `{step.step_key}`: {_summary(step.error)}")
    if not failed_steps:
        lines.append(f"- {_summary(run_error or 'no error message')}")
    return "\n".join(lines)


def alert_payload(
    job_name: str,
    run_id: str,
    failed_steps: Sequence[FailedStep],
    run_error: str | None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The scrubbed JSON body of the webhook (also what the sensor logs)."""
    return {
        "text": scrub_secrets(failure_message(job_name, run_id, failed_steps, run_error), environ),
        "job": job_name,
        "run_id": run_id,
        "failed_steps": [
            {"step_key": step.step_key, "error": scrub_secrets(_summary(step.error), environ)}
            for step in failed_steps
        ],
    }


def post_alert(url: str, payload: Mapping[str, object]) -> None:
    """POST the payload; raises on HTTP errors so the caller can log them."""
    response = requests.post(url, json=payload, timeout=WEBHOOK_TIMEOUT_SECONDS)
    response.raise_for_status()


@dg.run_failure_sensor(
    name="run_failure_alert",
    description="Logs every failed run of this code location; POSTs it to ALERT_WEBHOOK_URL.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    failed_steps = [
        FailedStep(
            step_key=event.step_key or "?",
            error=(
                event.event_specific_data.error.message
                if event.event_specific_data and event.event_specific_data.error
                else event.message or ""
            ),
        )
        for event in context.get_step_failure_events()
    ]
    payload = alert_payload(
        context.dagster_run.job_name,
        context.dagster_run.run_id,
        failed_steps,
        context.failure_event.message,
    )
    send_alert(payload, context.log)


def send_alert(payload: Mapping[str, object], log: logging.Logger) -> None:
    """Log the alert's text; POST the payload to ALERT_WEBHOOK_URL when it is set."""
    log.error(str(payload["text"]))
    url = load_settings().alert_webhook_url
    if url:
        try:
            post_alert(url, payload)
        except requests.RequestException as exc:
            # The URL itself may carry a token (Slack webhooks do): never log it.
            status = getattr(exc.response, "status_code", None)
            detail = f" (HTTP {status})" if status else ""
            log.warning(f"alert webhook failed: {type(exc).__name__}{detail}")
