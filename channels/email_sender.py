"""Staff alerts by e-mail through the SMTP server in the settings (``SMTP_*``).

The first line of the message is the subject, the rest the body. Connections use STARTTLS
(``SMTP_STARTTLS``, on by default; port 465 means TLS from the first byte) with the
system's trusted certificates, then log in when ``SMTP_USERNAME`` is set. The
``Message-ID`` is derived from the outbox key, so if a crash makes the outbox send an alert
twice, mail systems see the same message twice and show it once.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from bot.messages import reply_plain_text
from channels.delivery import Delivery, DeliveryFailed
from plumbing.clock import Clock, system_clock
from plumbing.runtime import Runtime
from plumbing.settings import Settings

TIMEOUT = 30.0
SUBJECT_MAX = 200
IMPLICIT_TLS_PORT = 465


def message_id(key: str, sender_address: str) -> str:
    """A Message-ID that is the same for every send of one outbox message."""
    domain = sender_address.rpartition("@")[2].strip(" >") or "consultbot.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def compose(delivery: Delivery, sender_address: str, now: datetime) -> EmailMessage:
    """The e-mail for one delivery: first line as subject, the rest as body."""
    text = "\n\n".join(reply_plain_text(r) for r in delivery.replies).strip()
    if not text:
        raise DeliveryFailed("nothing to send", permanent=True)
    subject, _, body = text.partition("\n")
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())[:SUBJECT_MAX]
    message["From"] = sender_address
    message["To"] = delivery.recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(delivery.key, sender_address)
    message.set_content((body.strip() or subject) + "\n")
    return message


class EmailSender:
    """Sends each delivery as one e-mail over a fresh SMTP connection."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock,
                 ssl_context: ssl.SSLContext | None = None, timeout: float = TIMEOUT) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise ValueError("SMTP_HOST and SMTP_FROM are required")
        self.host, self.port = settings.smtp_host, settings.smtp_port
        self.sender_address = settings.smtp_from
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password \
            else ""
        self.starttls = settings.smtp_starttls
        self.clock = clock
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout

    def send(self, delivery: Delivery) -> str | None:
        message = compose(delivery, self.sender_address, self.clock())
        try:
            with self._connect() as smtp:
                if self.starttls and self.port != IMPLICIT_TLS_PORT:
                    smtp.starttls(context=self.ssl_context)
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed("the mail server refused the address", permanent=True) \
                from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed("the mail server refused SMTP_USERNAME / SMTP_PASSWORD",
                                 permanent=True) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryFailed("the mail server offers no STARTTLS (or login); check SMTP_*",
                                 permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx: try again later (greylisting, full queue); 5xx: refused for good.
            raise DeliveryFailed(f"the mail server answered {exc.smtp_code}",
                                 permanent=exc.smtp_code >= 500) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryFailed("the mail server's certificate is not trusted",
                                 permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"mail server unreachable: {type(exc).__name__}") from exc
        return str(message["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        if self.port == IMPLICIT_TLS_PORT:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=self.ssl_context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def build_sender(runtime: Runtime) -> EmailSender | None:
    """The outbox's sender factory: None without SMTP_HOST/FROM."""
    settings = runtime.settings
    if not settings.smtp_host or not settings.smtp_from:
        return None
    return EmailSender(settings, clock=runtime.clock)
