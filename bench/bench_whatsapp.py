"""Signed WhatsApp webhook requests per second through the whole flow, under waitress.

Run: .venv/bin/python bench/bench_whatsapp.py [--people 48] [--clients 8] [--database-url …]
Both servers run as ``consultbot serve`` runs the app: waitress, 8 threads, on 127.0.0.1.
- whole: the real app; each request is checked with Twilio's RequestValidator, parsed,
  handled by the flow in its database transaction (SQLite file by default) and answered
  with TwiML. Each person sends the same conversation as bench_core (greeting, language,
  a typed FAQ question, the intake questions), their messages in order.
- bare: a Flask app whose one route returns a constant TwiML reply.
Requests are signed before the clock starts (signing is Twilio's work, not ours).
"""

from __future__ import annotations

import argparse
import http.client
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import waitress
from flask import Flask, Response
from twilio.request_validator import RequestValidator

from consultbot.runtime import build_runtime
from consultbot.web import create_app
from plumbing.crypto import new_key
from plumbing.settings import load_settings

TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
PUBLIC = "https://bot.example.org"
PATH = "/webhooks/whatsapp"
SCRIPT = ["Hello", "1", "which countries do you cover?", "menu", "book", "1", "Anna Petrova",
          "Russia", "United Kingdom", "2", "no", "No deadline",
          "I was detained for anti-war posts and cannot return home.", "anna@example.com", "1"]
CONSTANT = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thank you, we will '
            'answer soon.</Message></Response>')

Request = tuple[bytes, str]  # form body, signature


def signed_requests(people: int, run: str) -> list[list[Request]]:
    """Every person's messages as Twilio would post them, in order."""
    validator = RequestValidator(TOKEN)
    result = []
    for person in range(people):
        number = f"+4479{run}{person:05d}"
        script = []
        for n, line in enumerate(SCRIPT):
            sid = f"SM{run}{person:06d}{n:04d}".ljust(34, "0")
            fields = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
                      "AccountSid": "AC" + "0" * 32, "From": f"whatsapp:{number}",
                      "To": "whatsapp:+14155238886", "WaId": number[1:], "Body": line,
                      "ProfileName": "Anna", "NumMedia": "0", "NumSegments": "1",
                      "MessageType": "text", "SmsStatus": "received",
                      "ApiVersion": "2010-04-01"}
            signature = validator.compute_signature(PUBLIC + PATH, fields)
            script.append((urlencode(fields).encode(), signature))
        result.append(script)
    return result


def serve(app: Flask) -> int:
    """Serve ``app`` under waitress in a daemon thread (it ends with the script); its port."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8,
                                    ident="consultbot")
    threading.Thread(target=server.run, daemon=True).start()
    return int(server.effective_port)  # type: ignore[union-attr]


def drive(port: int, people: list[list[Request]], clients: int) -> tuple[int, float, list[float]]:
    """Send every request with ``clients`` keep-alive connections; (count, seconds, latencies)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(mine: list[list[Request]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own: list[float] = []
        for script in mine:
            for body, signature in script:
                started = time.perf_counter()
                connection.request("POST", PATH, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": signature})
                response = connection.getresponse()
                payload = response.read()
                own.append(time.perf_counter() - started)
                if response.status != 200 or b"<Response" not in payload:
                    with lock:
                        errors.append(f"{response.status} {payload[:80]!r}")
        connection.close()
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=client, args=(people[i::clients],))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return len(latencies), seconds, latencies


def bare_app() -> Flask:
    app = Flask("bare")

    @app.post(PATH)
    def constant() -> Response:
        return Response(CONSTANT, mimetype="text/xml")

    return app


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 \
        else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=48)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database-url", default=None,
                        help="an empty database, e.g. postgresql://postgres@127.0.0.1:5432/"
                             "bench (default: a new SQLite file)")
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" notes
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            database_url=args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}",
            data_encryption_key=new_key(), twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token=TOKEN, twilio_whatsapp_from="whatsapp:+14155238886",
            public_base_url=PUBLIC)
        runtime = build_runtime(settings)
        whole_port, bare_port = serve(create_app(runtime)), serve(bare_app())
        drive(whole_port, signed_requests(2, "9"), 2)  # warm: imports, catalogs, FAQ index
        drive(bare_port, signed_requests(2, "9"), 2)
        count, whole_seconds, whole_latency = drive(
            whole_port, signed_requests(args.people, "1"), args.clients)
        _, bare_seconds, bare_latency = drive(
            bare_port, signed_requests(args.people, "1"), args.clients)
        runtime.db.dispose()
    whole_rate, bare_rate = count / whole_seconds, count / bare_seconds
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"requests: {count} ({args.people} people x {len(SCRIPT)} messages, "
          f"{args.clients} clients, waitress 8 threads, {database})")
    for name, rate, latency in (("whole", whole_rate, whole_latency),
                                ("bare", bare_rate, bare_latency)):
        print(f"{name:6}{rate:8.0f} requests/s   p50 {1000 * percentile(latency, 0.5):6.1f} ms"
              f"   p99 {1000 * percentile(latency, 0.99):6.1f} ms")
    print(f"ratio whole/bare: {whole_rate / bare_rate:.3f}")


if __name__ == "__main__":
    main()
