"""Settings read from the environment and ``.env``, validated once at start.

Every field here is documented in ``.env.example`` and the README's settings table.
"""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path
from typing import Any
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
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from plumbing.content_sids import MAX_BUTTONS, MAX_LIST_ITEMS, parse_sized_sids
from plumbing.weekly_hours import parse_weekly_hours

DEFAULT_DATA_DIR = Path("var")
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
    # DATABASE_URL, DATA_KEY_FILE and FAQ_CACHE_DIR default to places in DATA_DIR, made
    # absolute when the settings are read (see ``_paths_in_data_dir``).
    data_dir: Path = Field(DEFAULT_DATA_DIR,
        description="The data directory: the SQLite database, the generated key file and the FAQ "
                    "cache live here unless set apart; printed absolute at start.")
    database_url: str = Field("",
        description="SQLite (empty: DATA_DIR/consultbot.db) or PostgreSQL, e.g. "
                    "postgresql://consultbot:password@localhost/consultbot; PostgreSQL for "
                    "several processes.")
    data_encryption_key: SecretStr | None = Field(None,
        description="Fernet key(s) encrypting case details and transcripts, comma-separated to "
                    "rotate (the first encrypts). With PostgreSQL: this, or DATA_KEY_FILE outside "
                    "DATA_DIR. Create one: consultbot keygen.")
    data_key_file: Path = Field(DEFAULT_DATA_DIR / "data.key",
        description="The key file used when DATA_ENCRYPTION_KEY is empty (empty: "
                    "DATA_DIR/data.key, generated on the SQLite default only; with PostgreSQL it "
                    "must exist outside DATA_DIR).")
    secret_key: SecretStr | None = Field(None,
        description="Signs staff session cookies; empty: derived from DATA_ENCRYPTION_KEY. Set it "
                    "to end all sessions without touching the data key.")
    public_base_url: str | None = Field(None,
        description="The public https address Twilio and Telegram call (behind a proxy or "
                    "tunnel), without a trailing slash.")
    trusted_proxies: int = Field(0, ge=0, le=5,
        description="Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are "
                    "trusted, that many hops deep; 0: none.")
    log_level: str = Field("INFO",
        description="DEBUG, INFO, WARNING, ERROR or CRITICAL. Message contents are never logged.")
    log_format: str = Field("text",
        description="Log lines as text or json (one JSON object a line with a request id); "
                    "message contents are never logged.")
    metrics_token: SecretStr | None = Field(None,
        description="Bearer token that Prometheus sends to scrape /metrics; empty: /metrics is off "
                    "(404).")
    default_language: str = Field("en",
        description="Language for people whose platform gives no hint (a catalog in bot/locales).")
    message_digits: str = Field("native",
        description="Digits in Arabic and Persian messages: native (٠١٢, ۰۱۲) or latin (012); "
                    "answers are read in any digits.")
    company_name: str = Field("The Human Rights", description="The company as the bot names it.")
    company_email: str = Field("info@thehuman-rights.com",
        description="The company's e-mail address, as the bot gives it.")
    company_website: str = Field("https://thehuman-rights.com",
        description="The company's website; also the link of WhatsApp notice templates.")
    sample_report: str | None = Field(None,
        description="Sample report sent from the menu: an https URL or a local PDF path; empty: "
                    "staff are asked to send it.")
    expert_cv: str | None = Field(None,
        description="Expert CV sent from the menu: an https URL or a local PDF path; empty: staff "
                    "are asked to send it.")

    # Booking
    booking_timezone: str = Field("Europe/London",
        description="Time zone of the first consultant (created on a first start with an empty "
                    "database).")
    booking_consultant_name: str = Field("Consultant", description="Name of the first consultant.")
    booking_consultant_email: str = Field("consultant@example.org",
        description="E-mail of the first consultant.")
    booking_weekly_hours: str = Field("mon-fri 09:00-17:00",
        description="The first consultant's weekly hours in their zone, e.g. mon-thu "
                    "09:00-12:30,13:30-17:00; sat 10:00-14:00.")
    booking_slot_minutes: int = Field(30, ge=10, le=240,
        description="Length of a consultation (minutes).")
    booking_buffer_minutes: int = Field(10, ge=0, le=240,
        description="Free time kept between two consultations (minutes).")
    booking_min_notice_hours: int = Field(12, ge=0, le=24 * 14,
        description="Earliest a consultation can be booked, from now (hours).")
    booking_horizon_days: int = Field(30, ge=1, le=365,
        description="Furthest ahead a consultation can be booked (days).")
    booking_daily_limit: int = Field(8, ge=1, le=100,
        description="Most consultations per consultant per day.")
    booking_hold_minutes: int = Field(10, ge=1, le=120,
        description="How long a chosen time is held while the person confirms (minutes).")
    zoom_account_id: str | None = Field(None,
        description="Zoom Server-to-Server OAuth app: account id (all three Zoom credentials, or "
                    "none).")
    zoom_client_id: str | None = Field(None,
        description="Zoom Server-to-Server OAuth app: client id.")
    zoom_client_secret: SecretStr | None = Field(None,
        description="Zoom Server-to-Server OAuth app: client secret.")
    zoom_api_base_url: str = Field("https://api.zoom.us/v2",
        description="Zoom's API address (change only for a proxy or tests).")
    zoom_oauth_url: str = Field("https://zoom.us/oauth/token",
        description="Zoom's OAuth token address (change only for a proxy or tests).")
    zoom_fallback_link: str | None = Field(None,
        description="Meeting link sent when no Zoom credentials are set (e.g. a personal meeting "
                    "room).")
    calendar_refresh_minutes: int = Field(5, ge=1, le=24 * 60,
        description="How often the worker reads each consultant's own calendar (minutes).")
    calendar_confirm_max_age_seconds: int = Field(60, ge=0, le=3600,
        description="At confirmation, a calendar read longer ago than this is read again first "
                    "(seconds).")
    calendar_stale_minutes: int = Field(30, ge=2, le=7 * 24 * 60,
        description="A calendar not read successfully for this long counts as unreadable "
                    "(minutes).")
    calendar_unreadable: str = Field("withhold",
        description="An unreadable calendar: withhold (its consultant's times are not offered) or "
                    "offer (the last busy times read are used).")
    calendar_timeout_seconds: int = Field(10, ge=1, le=120,
        description="Timeout of one calendar request (seconds).")
    calendar_write_back: bool = Field(False,
        description="Copy each booking into the consultant's CalDAV calendar (moved and removed "
                    "with it).")

    # WhatsApp through Twilio
    twilio_account_sid: str | None = Field(None,
        description="Twilio account SID; WhatsApp is on when this, the auth token, the sender and "
                    "PUBLIC_BASE_URL are set.")
    twilio_auth_token: SecretStr | None = Field(None,
        description="Twilio auth token (signs and checks webhook requests).")
    twilio_whatsapp_from: str | None = Field(None,
        description="The WhatsApp sender, e.g. whatsapp:+14155238886 (the sandbox number).")
    twilio_api_base_url: str = Field("https://api.twilio.com",
        description="Twilio's REST address (change only for a proxy or tests).")
    twilio_content_sid_buttons: str | None = Field(None,
        description="Content templates for buttons, one per number of options, e.g. "
                    "2:HX...,3:HX... (a bare HX... is 3); see docs/whatsapp.md.")
    twilio_content_sid_list: str | None = Field(None,
        description="Content templates for list pickers, e.g. 5:HX...,10:HX... (a bare HX... is "
                    "10 items); see docs/whatsapp.md.")
    twilio_template_sid_reminder: str | None = Field(None,
        description="Approved template for reminders outside WhatsApp's 24-hour window.")
    twilio_template_sid_notice: str | None = Field(None,
        description="Approved template for notices (links, cancellations, staff replies) outside "
                    "the 24-hour window.")

    # Telegram
    telegram_bot_token: SecretStr | None = Field(None,
        description="The token BotFather gives; without it Telegram is off.")
    telegram_api_base_url: str = Field("https://api.telegram.org/bot",
        description="Bot API address, for a self-hosted Bot API server (the token is appended).")
    telegram_mode: str = Field("polling",
        description="polling (no public address needed) or webhook (needs PUBLIC_BASE_URL).")
    telegram_webhook_secret: SecretStr | None = Field(None,
        description="Secret Telegram sends with each webhook call "
                    "(X-Telegram-Bot-Api-Secret-Token); webhook mode.")
    telegram_staff_chat_id: str | None = Field(None,
        description="A staff group or chat id that receives alerts (new booking, cancellation, "
                    "person wanted).")

    # Reminders, outbox and staff alerts
    reminder_hours_before: str = Field("24,1",
        description="Hours before a consultation at which the person is reminded, "
                    "comma-separated.")
    outbox_max_attempts: int = Field(8, ge=1, le=50,
        description="Attempts before an outgoing message is marked failed.")
    smtp_host: str | None = Field(None,
        description="SMTP server for staff alert e-mails; empty: no e-mail alerts.")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP user name (empty: no login).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS with the SMTP server.")
    smtp_from: str | None = Field(None, description="Sender address of staff alert e-mails.")
    staff_alert_emails: str | None = Field(None,
        description="Comma-separated staff addresses that receive alert e-mails.")

    # Staff dashboard
    staff_timezone: str = Field("Europe/London",
        description="Time zone the dashboard shows times in (each account may choose its own).")
    staff_session_hours: int = Field(12, ge=1, le=24 * 30,
        description="Hours a staff sign-in lasts.")
    staff_max_failed_logins: int = Field(5, ge=1, le=100,
        description="Failed sign-ins before an account is locked for a while.")
    staff_lockout_minutes: int = Field(15, ge=1, le=24 * 60,
        description="How long a locked account stays locked (minutes).")
    cookie_secure: bool = Field(True,
        description="Send session cookies over https only; false only for plain-http use on this "
                    "computer.")

    # Web chat (channels/webchat)
    webchat_allowed_origins: str = Field("",
        description="Other sites that may embed the web chat (CORS), comma-separated origins, "
                    "e.g. https://www.example.org; empty: only this app's pages.")
    webchat_max_message_chars: int = Field(2000, ge=100, le=10_000,
        description="Longest message a web-chat visitor may send (characters).")
    webchat_rate_limit_session: str = Field("30/minute",
        description="Messages a web-chat session may send, e.g. 30/minute.")
    webchat_rate_limit_address: str = Field("60/minute",
        description="Messages one address may send (reading five times as often), e.g. 60/minute.")
    webchat_rate_limit_storage: str = Field("memory://",
        description="Where the web-chat limits count: memory:// (per process) or "
                    "redis://host:6379 (shared; needs redis).")
    webchat_session_days: int = Field(90, ge=1, le=730,
        description="How long a web-chat visitor's session cookie lasts (days).")
    webchat_cookie_samesite: str = Field("Lax",
        description="SameSite of the web-chat cookie: Lax, Strict, or None (a bot on another "
                    "site; needs https).")
    webchat_code_minutes: int = Field(15, ge=1, le=24 * 60,
        description="How long a code to continue on WhatsApp/Telegram (or back) stays valid "
                    "(minutes).")
    webchat_stream_seconds: int = Field(25, ge=1, le=120,
        description="How long one web-chat event stream stays open before the browser reconnects "
                    "(seconds).")
    webchat_telegram_username: str | None = Field(None,
        description="The Telegram bot's username (without @), for the web chat's \"Continue on "
                    "Telegram\" link.")
    # Retention (days): after the last consultation or message; for people who never booked
    retention_days: int = Field(180, ge=1, le=3650,
        description="Days case details and transcripts are kept after the last consultation or "
                    "message, whichever is later.")
    retention_days_not_booked: int = Field(30, ge=1, le=3650,
        description="Days they are kept after the last message of someone who never booked.")
    # Case files
    case_file_max_mb: int = Field(20, ge=1, le=100,
        description="The largest document, photo or voice note kept (MB); Telegram lets a bot "
                    "fetch at most 20 MB, WhatsApp media is at most 16 MB.")
    case_files_max_mb: int = Field(100, ge=1, le=5000,
        description="The most one person's case file holds (MB).")
    case_file_transcriber: str | None = Field(None,
        description="An offline speech-to-text command for voice notes (see docs/case-files.md); "
                    "empty: off, nothing is ever sent to a third party.")
    # FAQ understanding
    faq_semantic: bool = Field(True,
        description="Match FAQ questions by meaning too (multilingual-e5-small, offline); false: "
                    "the lexical matcher only.")
    faq_cache_dir: Path = Field(DEFAULT_DATA_DIR / "faq-cache",
        description="Where the FAQ's derived files are cached, each rebuilt when missing or "
                    "damaged: the knowledge base's vectors, the model's graph, weights and "
                    "tokenizer trie, and the matcher's stems (empty: DATA_DIR/faq-cache).")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources; without a .env file (read when the source is made) its source is
        left out: it would give nothing, after inspecting every field (half of a reading)."""
        read = not isinstance(dotenv_settings, DotEnvSettingsSource) or dotenv_settings.env_vars
        dotenv = (dotenv_settings,) if read else ()
        return (init_settings, env_settings, *dotenv, file_secret_settings)

    @model_validator(mode="before")
    @classmethod
    def _paths_in_data_dir(cls, values: Any) -> Any:
        """Fill what is not set from DATA_DIR, absolute (relative to the directory of the
        start), so the output names the real place and the same process never reads one
        directory and writes another."""
        if not isinstance(values, dict):
            return values
        data_dir = Path(values.get("data_dir") or DEFAULT_DATA_DIR).expanduser().absolute()
        values = {**values, "data_dir": data_dir}
        derived = {"database_url": f"sqlite:///{data_dir / 'consultbot.db'}",
                   "data_key_file": data_dir / "data.key", "faq_cache_dir": data_dir / "faq-cache"}
        return {**values, **{k: v for k, v in derived.items() if not values.get(k)}}

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

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("must be 'text' or 'json'")
        return value

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
    def _key_apart_from_data_in_production(self) -> Settings:
        if self.is_default_setup or self.data_encryption_key is not None:
            return self
        key_file = self.data_key_file.expanduser().absolute()
        if key_file.resolve().is_relative_to(self.data_dir.resolve()):
            raise ValueError(
                "DATA_ENCRYPTION_KEY is required with PostgreSQL (create one with: consultbot "
                f"keygen), or DATA_KEY_FILE outside DATA_DIR ({self.data_dir}): a key kept "
                "beside the data would be in every backup of it"
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
        """True on the embedded setup (SQLite, one host): the key file may be generated and
        may sit in DATA_DIR. PostgreSQL is production: several processes, maybe several
        hosts, and a database backed up on its own, so the key must come from elsewhere."""
        return self.database_url.startswith("sqlite:")

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
