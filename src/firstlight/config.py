"""Settings from ``FIRSTLIGHT_*`` environment variables and an optional ``firstlight.toml``.

Precedence, highest first: keyword arguments, environment variables, the TOML file (``FIRSTLIGHT_CONFIG``
or ``./firstlight.toml``), then the defaults below. The defaults are the embedded mode: SQLite and a local
vault inside ``./firstlight-data``, no other service needed.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings", "get_settings"]

DEFAULT_CONFIG_FILE = "firstlight.toml"


def _config_file() -> Path | None:
    path = Path(os.environ.get("FIRSTLIGHT_CONFIG", DEFAULT_CONFIG_FILE))
    return path if path.is_file() else None


class Settings(BaseSettings):
    """Everything an operator can set. Rooms add their own fields here, each with a safe default."""

    model_config = SettingsConfigDict(env_prefix="FIRSTLIGHT_", extra="ignore")

    # --- core -------------------------------------------------------------------------------------------
    data_dir: Path = Field(
        default=Path("firstlight-data"),
        description="Folder for the SQLite database, the evidence vault and saved indexes.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to SQLite in data_dir. postgresql://… for production.",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    auto_migrate: bool | None = Field(
        default=None,
        description="Run migrations on serve. Default: yes for embedded SQLite, no for other databases.",
    )
    max_request_bytes: int = Field(
        default=32 * 1024 * 1024, description="Largest HTTP request body accepted (413 above)."
    )
    # --- events -----------------------------------------------------------------------------------------
    worker_enabled: bool = Field(default=True, description="Process events inside `serve`.")
    worker_poll_seconds: float = 0.5
    event_max_attempts: int = Field(
        default=8, description="Handler failures before an event is parked as failed (dead letter)."
    )
    # --- console (see docs/console.md) ----------------------------------------------------------------------
    console_secret: str | None = Field(
        default=None, description="Signs console session cookies; generated into data_dir if unset."
    )
    console_session_hours: float = Field(default=8, description="A console sign-in lasts this long.")
    console_secure_cookies: bool = Field(
        default=False, description="Send the session cookie only over HTTPS (set behind TLS)."
    )
    reviewer_daily_reveal_warning: int = Field(
        default=20, description="Reveals per reviewer per day after which the console warns."
    )
    # --- reports (see docs/reports.md) --------------------------------------------------------------------
    report_deadline_p1_s: float = Field(default=15 * 60, description="P1 'immediately': overdue after.")
    report_deadline_p2_s: float = Field(default=4 * 3600, description="P2: overdue after (seconds).")
    report_deadline_p3_s: float = Field(default=24 * 3600, description="P3: overdue after (seconds).")
    service_jurisdictions: list[str] = Field(
        default=["UK"], description="Where the service is established: UK → NCA, US → NCMEC, both."
    )
    report_uk_linked_only: bool = Field(
        default=False, description="Non-UK provider (OSA s.66(2)): send the NCA only UK-linked content."
    )
    report_nca_when_reported_to_ncmec: bool = Field(
        default=False, description="Also send the NCA content already reported to NCMEC (s.70(5) exempts)."
    )
    ncmec_base_url: str = Field(
        default="https://exttest.cybertip.org/ispws", description="ISPWS base URL (test by default)."
    )
    ncmec_username: str | None = None
    ncmec_password: str | None = None
    report_reporter: dict[str, str] = Field(
        default_factory=dict,
        description="Reporter/organisation fields: company, platform, first_name, last_name, email, "
        "phone, country_code, legal_url, terms_url, company_template (JSON in the environment).",
    )
    report_delivery_lease_s: float = Field(default=300, description="A delivery worker's claim.")
    report_retry_base_s: float = Field(default=30, description="First retry delay of a failed step.")
    report_deliver_every_s: float = Field(default=15, description="Report outbox pass in `serve`.")
    # --- upload pipeline: intake, decide, cases, evidence (see docs/pipeline.md) -------------------------
    policy_path: str | None = Field(default=None, description="Decision policy TOML/YAML; default built in.")
    upload_max_bytes: int = Field(default=32 * 1024 * 1024, description="Largest upload (413 above).")
    fetch_allow_networks: list[str] = Field(
        default_factory=list, description="CIDRs an upload URL may resolve to although not public."
    )
    fetch_max_bytes: int = Field(default=32 * 1024 * 1024, description="Largest fetched upload URL body.")
    fetch_timeout_seconds: float = Field(default=10.0, description="Whole fetch of an upload URL.")
    fetch_max_redirects: int = 3
    webhook_url: str | None = Field(default=None, description="Platform endpoint receiving actions.")
    webhook_secret: str = Field(default="", description="HMAC-SHA256 key signing every action.")
    webhook_timeout_s: float = 10.0
    webhook_max_attempts: int = Field(default=10, description="Attempts before an action is dead.")
    webhook_backoff_base_s: float = Field(default=1.0, description="First retry delay (doubles).")
    webhook_backoff_max_s: float = Field(default=600.0, description="Longest retry delay.")
    webhook_poll_seconds: float = Field(default=0.5, description="Outbox worker pass interval.")
    vault_dir: Path | None = Field(default=None, description="Evidence vault; default data_dir/vault.")
    vault_keys: dict[str, str] = Field(
        default_factory=dict, description="Vault keys {key_id: base64 32 bytes}; default a local ring."
    )
    vault_current_key: str | None = Field(default=None, description="Key id sealing new evidence.")
    evidence_retention_days: int = Field(default=365, description="Keep evidence this long after report.")
    evidence_purge_every_s: float = Field(default=3600, description="Purge job interval in `serve`.")

    compliance_review_days: int = Field(default=365, ge=1, description="Days between OSA reviews.")
    # --- livestreams (see docs/livestreams.md) ------------------------------------------------------------
    stream_max_per_worker: int = Field(default=64, description="Sessions one worker monitors.")
    stream_queue_size: int = Field(default=8, description="Frames queued per session.")
    stream_t1_fps: float = Field(default=2.0, description="Frames per second analysed from tier T1 up.")
    stream_open_timeout_s: float = Field(default=30.0, description="Wait for a pulled stream's first data.")
    stream_read_timeout_s: float = Field(default=10.0, description="Close a silent pulled stream.")
    stream_near_margin: int = Field(default=16, description="Weak-signal PDQ bits.")
    stream_scan_visibilities: list[str] = ["public", "private", "one_to_one"]  # sessions analysed
    stream_allow_file_urls: bool = Field(default=False, description="stream.start may name a local file.")
    stream_frame_classifiers: list[str] = Field(default_factory=list, description="Enabled (none).")
    stream_classifier_options: dict[str, dict] = Field(default_factory=dict, description="Per classifier.")

    @property
    def resolved_database_url(self) -> str:
        """The URL actually used: the configured one, or SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'firstlight.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = _config_file()
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


@lru_cache(maxsize=1)
def _cached_settings() -> Settings:
    return Settings()


def get_settings(**overrides: Any) -> Settings:
    """The process's settings; with overrides, a fresh object (used by tests and the CLI)."""
    if overrides:
        return Settings(**overrides)
    return _cached_settings()
