"""A small SMTP server on 127.0.0.1 for tests and benchmarks: the far side of e-mail.

It speaks what ``smtplib`` needs (EHLO, STARTTLS with a self-signed certificate the client
is told to trust, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every accepted
message, and can refuse addresses or answer the next command with an error.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import socketserver
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    """One accepted message."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    over_tls: bool
    user: str | None


@dataclass
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, in PEM files."""

    cert_pem: bytes
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, folder: Path) -> Certificate:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return cls(cert_pem, cert_file, key_file)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and nothing else)."""
        return ssl.create_default_context(cadata=self.cert_pem.decode())


@dataclass
class FakeSmtpServer:
    """Accepts mail on 127.0.0.1; ``port`` is known once started (``with`` block)."""

    username: str | None = None
    password: str | None = None
    tls: bool = True
    received: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (command, reply line)

    def __post_init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory()
        self.certificate = Certificate.create(Path(self._folder.name))
        self._tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls_context.load_cert_chain(self.certificate.cert_file,
                                          self.certificate.key_file)
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                # Replies go out at once (as from real servers): else TLS 1.3's session
                # tickets and the first reply meet Nagle and the client's delayed ACK.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _Session(owner, self).run()

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(  # a short poll: shutdown() returns at once
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def fail_next(self, command: str, reply: str) -> None:
        """Answer the next ``command`` (``MAIL``, ``RCPT``, ``DATA``, ``AUTH``) with ``reply``."""
        with self.lock:
            self.failures.append((command.upper(), reply))

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` messages were accepted."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def __enter__(self) -> FakeSmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._folder.cleanup()

    def _scripted(self, command: str) -> str | None:
        with self.lock:
            for index, (name, reply) in enumerate(self.failures):
                if name == command:
                    del self.failures[index]
                    return reply
        return None


class _Session:
    """One client connection."""

    def __init__(self, server: FakeSmtpServer, handler: socketserver.StreamRequestHandler):
        self.server, self.handler = server, handler
        self.over_tls = False
        self.user: str | None = None
        self.sender: str | None = None
        self.recipients: list[str] = []

    def reply(self, line: str) -> None:
        self.handler.wfile.write(line.encode() + b"\r\n")
        self.handler.wfile.flush()

    def readline(self) -> bytes:
        return self.handler.rfile.readline(65536)

    def run(self) -> None:
        self.reply("220 fake-smtp ready")
        while True:
            raw = self.readline()
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            scripted = self.server._scripted(verb)
            if scripted:
                self.reply(scripted)
                continue
            handler = getattr(self, f"do_{verb}", None)
            if handler is None:
                self.reply("502 command not implemented")
            elif handler(argument) is False:
                return

    def do_EHLO(self, argument: str) -> None:
        lines = ["fake-smtp", "8BITMIME", "SIZE 10485760"]
        if self.server.tls and not self.over_tls:
            lines.append("STARTTLS")
        if self.server.username and (self.over_tls or not self.server.tls):
            lines.append("AUTH PLAIN")
        # One write, as real servers do: line by line would meet Nagle's algorithm and the
        # client's delayed ACK (40 ms a time).
        self.reply("\r\n".join(("250 " if n == len(lines) - 1 else "250-") + text
                                for n, text in enumerate(lines)))

    def do_HELO(self, argument: str) -> None:
        self.reply("250 fake-smtp")

    def do_STARTTLS(self, argument: str) -> bool | None:
        if not self.server.tls or self.over_tls:
            self.reply("503 TLS not available")
            return None
        self.reply("220 go ahead")
        try:
            connection = self.server._tls_context.wrap_socket(self.handler.connection,
                                                              server_side=True)
        except (ssl.SSLError, OSError):  # the client refused our certificate: it hangs up
            return False
        self.handler.connection = connection
        self.handler.rfile = connection.makefile("rb")
        self.handler.wfile = connection.makefile("wb")
        self.over_tls = True
        self.sender, self.recipients = None, []

    def do_AUTH(self, argument: str) -> None:
        mechanism, _, initial = argument.partition(" ")
        if mechanism.upper() != "PLAIN" or not self.server.username:
            self.reply("504 mechanism not supported")
            return
        if self.server.tls and not self.over_tls:
            self.reply("538 encryption required")
            return
        if not initial:
            self.reply("334 ")
            initial = self.readline().decode().strip()
        try:
            _, user, password = base64.b64decode(initial).decode().split("\0")
        except ValueError:
            self.reply("501 malformed")
            return
        if (user, password) != (self.server.username, self.server.password):
            self.reply("535 authentication failed")
            return
        self.user = user
        self.reply("235 authenticated")

    def do_MAIL(self, argument: str) -> None:
        if self.server.username and self.user is None:
            self.reply("530 authentication required")
            return
        self.sender = _address(argument)
        self.recipients = []
        self.reply("250 ok")

    def do_RCPT(self, argument: str) -> None:
        address = _address(argument)
        if address in self.server.refused:
            self.reply("550 no such user")
            return
        self.recipients.append(address)
        self.reply("250 ok")

    def do_DATA(self, argument: str) -> None:
        if self.sender is None or not self.recipients:
            self.reply("503 need MAIL and RCPT first")
            return
        self.reply("354 end with <CRLF>.<CRLF>")
        lines = []
        while True:
            raw = self.readline()
            if raw in (b".\r\n", b".\n", b""):
                break
            lines.append(raw[1:] if raw.startswith(b".") else raw)  # dot-stuffing
        message: Any = message_from_bytes(b"".join(lines), policy=policy.default)
        with self.server.arrived:
            self.server.received.append(Received(self.sender, list(self.recipients), message,
                                                 self.over_tls, self.user))
            self.server.arrived.notify_all()
        self.sender, self.recipients = None, []
        self.reply("250 queued")

    def do_RSET(self, argument: str) -> None:
        self.sender, self.recipients = None, []
        self.reply("250 ok")

    def do_NOOP(self, argument: str) -> None:
        self.reply("250 ok")

    def do_QUIT(self, argument: str) -> bool:
        self.reply("221 bye")
        return False


def _address(argument: str) -> str:
    """``FROM:<a@b>`` or ``TO:<a@b> SIZE=…`` → ``a@b``."""
    value = argument.partition(":")[2].strip()
    return value.split(">")[0].lstrip("<").strip()
