"""Connection and retry settings of the ITSM clients, read from the environment.

Environment variables (all optional; a platform without a URL cannot be written in sandbox/live mode):

ServiceNow   HELPDESK_SERVICENOW_URL        instance base, e.g. https://acme.service-now.com
             HELPDESK_SERVICENOW_USER       basic auth user (with _PASSWORD)
             HELPDESK_SERVICENOW_PASSWORD
             HELPDESK_SERVICENOW_TOKEN      OAuth bearer token (wins over basic auth)
Jira         HELPDESK_JIRA_URL              site base, e.g. https://acme.atlassian.net
             HELPDESK_JIRA_EMAIL            Atlassian account e-mail (with _API_TOKEN, basic auth)
             HELPDESK_JIRA_API_TOKEN
             HELPDESK_JIRA_BEARER           OAuth 2.0 / PAT bearer token (wins over basic auth)
             HELPDESK_JIRA_SERVICE_DESK     true: a JSM project; internal notes go through servicedeskapi
             HELPDESK_JIRA_INTERNAL_ROLE    non-JSM projects: restrict internal notes to this project role
Freshservice HELPDESK_FRESHSERVICE_URL      e.g. https://acme.freshservice.com
             HELPDESK_FRESHSERVICE_API_KEY  sent as basic auth `key:X`
             HELPDESK_FRESHSERVICE_DERIVE_IDS  sandbox only: map non-numeric ticket ids to stable numbers
Behaviour    HELPDESK_ITSM_CONNECT_TIMEOUT_S (5), HELPDESK_ITSM_TIMEOUT_S (15: read/write/pool),
             HELPDESK_ITSM_MAX_ATTEMPTS (5), HELPDESK_ITSM_MAX_TOTAL_S (60), HELPDESK_ITSM_BACKOFF_S (0.5),
             HELPDESK_ITSM_MAX_WAIT_S (30: longest honoured Retry-After; longer gives up and flags),
             HELPDESK_ITSM_SETTLE_S (2: pause after an ambiguous failure before re-reading the ticket, so a
             request still being processed has landed when we look for its marker)
Audit        HELPDESK_AUDIT_LOG (default .helpdesk/audit.jsonl), see `tools.itsm.audit`.

Secrets are `SecretStr`: they never appear in a repr, a log or an audit record.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServiceNowSettings(_Frozen):
    url: str | None = None
    user: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None


class JiraSettings(_Frozen):
    url: str | None = None
    email: str | None = None
    api_token: SecretStr | None = None
    bearer: SecretStr | None = None
    service_desk: bool = False
    internal_role: str | None = None


class FreshserviceSettings(_Frozen):
    url: str | None = None
    api_key: SecretStr | None = None
    derive_ids: bool = False


class RetrySettings(_Frozen):
    """Bounds of every retry loop: attempts, total time, backoff, the longest honoured wait."""

    max_attempts: int = Field(default=5, ge=1)
    max_total_s: float = Field(default=60.0, gt=0)
    backoff_s: float = Field(default=0.5, ge=0)
    max_wait_s: float = Field(default=30.0, ge=0)
    settle_s: float = Field(default=2.0, ge=0)


class ItsmSettings(_Frozen):
    servicenow: ServiceNowSettings = ServiceNowSettings()
    jira: JiraSettings = JiraSettings()
    freshservice: FreshserviceSettings = FreshserviceSettings()
    connect_timeout_s: float = Field(default=5.0, gt=0)
    timeout_s: float = Field(default=15.0, gt=0)
    retry: RetrySettings = RetrySettings()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ItsmSettings:
        """Build the settings from `HELPDESK_*` variables (see the module docstring)."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"HELPDESK_{name}")
            return value.strip() if value and value.strip() else None

        def flag(name: str) -> bool:
            return (get(name) or "").lower() in {"1", "true", "yes", "on"}

        def number(name: str, default: float) -> float:
            raw = get(name)
            return float(raw) if raw is not None else default

        retry_defaults = RetrySettings()
        return cls(
            servicenow=ServiceNowSettings(
                url=get("SERVICENOW_URL"),
                user=get("SERVICENOW_USER"),
                password=get("SERVICENOW_PASSWORD"),
                token=get("SERVICENOW_TOKEN"),
            ),
            jira=JiraSettings(
                url=get("JIRA_URL"),
                email=get("JIRA_EMAIL"),
                api_token=get("JIRA_API_TOKEN"),
                bearer=get("JIRA_BEARER"),
                service_desk=flag("JIRA_SERVICE_DESK"),
                internal_role=get("JIRA_INTERNAL_ROLE"),
            ),
            freshservice=FreshserviceSettings(
                url=get("FRESHSERVICE_URL"),
                api_key=get("FRESHSERVICE_API_KEY"),
                derive_ids=flag("FRESHSERVICE_DERIVE_IDS"),
            ),
            connect_timeout_s=number("ITSM_CONNECT_TIMEOUT_S", 5.0),
            timeout_s=number("ITSM_TIMEOUT_S", 15.0),
            retry=RetrySettings(
                max_attempts=int(number("ITSM_MAX_ATTEMPTS", retry_defaults.max_attempts)),
                max_total_s=number("ITSM_MAX_TOTAL_S", retry_defaults.max_total_s),
                backoff_s=number("ITSM_BACKOFF_S", retry_defaults.backoff_s),
                max_wait_s=number("ITSM_MAX_WAIT_S", retry_defaults.max_wait_s),
                settle_s=number("ITSM_SETTLE_S", retry_defaults.settle_s),
            ),
        )
