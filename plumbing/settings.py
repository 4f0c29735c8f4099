"""Settings read from the environment and ``.env``, validated once at start.

Every field here is documented in ``.env.example`` and the README's settings table.
"""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from plumbing.content_sids import MAX_BUTTONS, MAX_LIST_ITEMS, parse_sized_sids
from plumbing.weekly_hours import parse_weekly_hours

DEFAULT_DATABASE_URL = "sqlite:///var/consultbot.db"
DEFAULT_KEY_FILE = Path("var/data.key")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it."""


class Settings(BaseSettings):
    """All of consultbot's configuration."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Core
    database_url: str = DEFAULT_DATABASE_URL
    data_encryption_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    public_base_url: str | None = None
    trusted_proxies: int = Field(0, ge=0, le=5)
    log_level: str = "INFO"
    default_language: str = "en"
    message_digits: str = "native"
    company_name: str = "The Human Rights"
    company_email: str = "info@thehuman-rights.com"
    company_website: str = "https://thehuman-rights.com"
    sample_report: str | None = None
    expert_cv: str | None = None

    # Booking
    booking_timezone: str = "Europe/London"
    booking_consultant_name: str = "Consultant"
    booking_consultant_email: str = "consultant@example.org"
    booking_weekly_hours: str = "mon-fri 09:00-17:00"
    booking_slot_minutes: int = Field(30, ge=10, le=240)
    booking_buffer_minutes: int = Field(10, ge=0, le=240)
    booking_min_notice_hours: int = Field(12, ge=0, le=24 * 14)
    booking_horizon_days: int = Field(30, ge=1, le=365)
    booking_daily_limit: int = Field(8, ge=1, le=100)
    booking_hold_minutes: int = Field(10, ge=1, le=120)
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: SecretStr | None = None
    zoom_api_base_url: str = "https://api.zoom.us/v2"
    zoom_oauth_url: str = "https://zoom.us/oauth/token"
    zoom_fallback_link: str | None = None
    calendar_refresh_minutes: int = Field(5, ge=1, le=24 * 60)
    calendar_confirm_max_age_seconds: int = Field(60, ge=0, le=3600)
    calendar_stale_minutes: int = Field(30, ge=2, le=7 * 24 * 60)
    calendar_unreadable: str = "withhold"
    calendar_timeout_seconds: int = Field(10, ge=1, le=120)
    calendar_write_back: bool = False

    # WhatsApp through Twilio
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_content_sid_buttons: str | None = None
    twilio_content_sid_list: str | None = None
    twilio_template_sid_reminder: str | None = None
    twilio_template_sid_notice: str | None = None

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: str = "polling"
    telegram_webhook_secret: SecretStr | None = None
    telegram_staff_chat_id: str | None = None

    # Reminders, outbox and staff alerts
    reminder_hours_before: str = "24,1"
    outbox_max_attempts: int = Field(8, ge=1, le=50)
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_from: str | None = None
    staff_alert_emails: str | None = None

    # Staff dashboard
    staff_timezone: str = "Europe/London"
    staff_session_hours: int = Field(12, ge=1, le=24 * 30)
    staff_max_failed_logins: int = Field(5, ge=1, le=100)
    staff_lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    cookie_secure: bool = True

    # Web chat (channels/webchat)
    webchat_allowed_origins: str = ""
    webchat_max_message_chars: int = Field(2000, ge=100, le=10_000)
    webchat_rate_limit_session: str = "30/minute"
    webchat_rate_limit_address: str = "60/minute"
    webchat_rate_limit_storage: str = "memory://"
    webchat_session_days: int = Field(90, ge=1, le=730)
    webchat_cookie_samesite: str = "Lax"
    webchat_code_minutes: int = Field(15, ge=1, le=24 * 60)
    webchat_stream_seconds: int = Field(25, ge=1, le=120)
    webchat_telegram_username: str | None = None
    # Retention (days): after the last consultation or message; for people who never booked
    retention_days: int = Field(180, ge=1, le=3650)
    retention_days_not_booked: int = Field(30, ge=1, le=3650)
    # Case files: the largest file kept, and the most one person's case file holds (MB)
    case_file_max_mb: int = Field(20, ge=1, le=100)
    case_files_max_mb: int = Field(100, ge=1, le=5000)
    #: An offline speech-to-text command for voice notes (off when empty; see docs).
    case_file_transcriber: str | None = None
    # FAQ understanding
    faq_semantic: bool = True
    faq_cache_dir: Path = Path("var/faq-cache")

    @field_validator("booking_timezone", "staff_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("booking_weekly_hours")
    @classmethod
    def _weekly_hours(cls, value: str) -> str:
        parse_weekly_hours(value)  # raises ValueError naming what is wrong
        return value

    @field_validator("message_digits")
    @classmethod
    def _digits(cls, value: str) -> str:
        if value not in {"native", "latin"}:
            raise ValueError("must be 'native' (Arabic ٠١٢, Persian ۰۱۲) or 'latin' (012)")
        return value

    @field_validator("telegram_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in {"polling", "webhook"}:
            raise ValueError("must be 'polling' or 'webhook'")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError("must be one of " + ", ".join(LOG_LEVELS))
        return level

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("must be an https:// address (http:// only for localhost)")
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be scheme and host (and a path), without ? or #")
        if value.endswith("/"):
            raise ValueError(f"must not end with a slash: {value.rstrip('/')}")
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        known = sorted(p.stem for p in LOCALES.glob("*.json"))
        if value not in known:
            raise ValueError(f"no translation for {value!r}; one of " + ", ".join(known))
        return value

    @field_validator("twilio_content_sid_buttons", "twilio_content_sid_list")
    @classmethod
    def _content_sids(cls, value: str | None, info: ValidationInfo) -> str | None:
        buttons = info.field_name == "twilio_content_sid_buttons"
        parse_sized_sids(value, default_size=3 if buttons else 10,
                         max_size=MAX_BUTTONS if buttons else MAX_LIST_ITEMS,
                         name=(info.field_name or "").upper())
        return value

    @field_validator("calendar_unreadable")
    @classmethod
    def _unreadable(cls, value: str) -> str:
        if value not in {"withhold", "offer"}:
            raise ValueError("must be 'withhold' or 'offer'")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("reminder_hours_before")
    @classmethod
    def _reminders(cls, value: str) -> str:
        try:
            hours = [float(part) for part in value.split(",") if part.strip()]
        except ValueError as exc:
            raise ValueError("must be comma-separated hours, e.g. 24,1") from exc
        if any(h <= 0 for h in hours):
            raise ValueError("hours must be positive")
        return value

    @field_validator("webchat_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        parse_origins(value)  # raises ValueError naming the bad origin
        return value

    @field_validator("webchat_rate_limit_session", "webchat_rate_limit_address")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError("must be a rate such as 20/minute or 100 per hour") from exc
        return value

    @field_validator("webchat_cookie_samesite")
    @classmethod
    def _samesite(cls, value: str) -> str:
        if value not in {"Lax", "Strict", "None"}:
            raise ValueError("must be Lax, Strict or None")
        return value

    @field_validator("faq_cache_dir")
    @classmethod
    def _cache_outside_package(cls, value: Path) -> Path:
        package = Path(__file__).resolve().parent.parent / "bot"
        if value.resolve().is_relative_to(package):
            raise ValueError("must not be inside the bot package; use the data directory (var/)")
        return value

    @model_validator(mode="after")
    def _key_required_off_default(self) -> Settings:
        if not self.is_default_setup and self.data_encryption_key is None:
            raise ValueError(
                "DATA_ENCRYPTION_KEY is required when DATABASE_URL is not the embedded default; "
                "create one with: consultbot keygen"
            )
        return self

    @model_validator(mode="after")
    def _stale_after_refresh(self) -> Settings:
        if self.calendar_stale_minutes <= self.calendar_refresh_minutes:
            raise ValueError("CALENDAR_STALE_MINUTES must be longer than "
                             "CALENDAR_REFRESH_MINUTES (a cache is stale only after a "
                             "refresh was missed)")
        return self

    @property
    def is_default_setup(self) -> bool:
        """True on the embedded default: SQLite under ./var, no accounts needed."""
        return self.database_url == DEFAULT_DATABASE_URL

    @cached_property
    def reminder_offsets_hours(self) -> tuple[float, ...]:
        """Hours before a consultation at which reminders go out, largest first."""
        parts = (float(p) for p in self.reminder_hours_before.split(",") if p.strip())
        return tuple(sorted(parts, reverse=True))

    @property
    def whatsapp_enabled(self) -> bool:
        """Whether every Twilio setting the WhatsApp channel needs is present."""
        return bool(
            self.twilio_account_sid
            and self.twilio_auth_token
            and self.twilio_whatsapp_from
            and self.public_base_url
        )

    @property
    def telegram_enabled(self) -> bool:
        """Whether a Telegram bot token is configured."""
        return self.telegram_bot_token is not None

    @property
    def webchat_origins(self) -> frozenset[str]:
        """Other sites allowed to embed the web chat (CORS), as origins."""
        return parse_origins(self.webchat_allowed_origins)

    @property
    def zoom_enabled(self) -> bool:
        """Whether Zoom Server-to-Server OAuth credentials are configured."""
        return bool(self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret)


def parse_origins(value: str) -> frozenset[str]:
    """``https://a.example, http://localhost:8080`` as a set of origins; ValueError naming a
    bad one (with a path, without a scheme, ``*``)."""
    origins = set()
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        split = urlsplit(part)
        if split.scheme not in {"http", "https"} or not split.hostname or \
                split.path not in {"", "/"} or split.query or split.fragment:
            raise ValueError(f"{part!r} is not an origin such as https://www.example.org")
        origins.add(f"{split.scheme}://{split.netloc.lower()}")
    return frozenset(origins)


def describe_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's error into lines that name each wrong setting."""
    lines = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"Setting {name}: {message}" if error["loc"] else message)
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise :class:`SettingsError` naming any bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from exc


def load_settings_or_exit(**overrides: object) -> Settings:
    """Read settings for a CLI command; print the problem and exit 2 when they are bad."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print(f"consultbot cannot start:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from exc
