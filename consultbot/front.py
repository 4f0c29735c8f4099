"""``/``: the front door, the service's name, whether it is ready and the way to the staff
dashboard (nothing about any applicant: it is public)."""

from __future__ import annotations

from flask import Flask, render_template

from consultbot.health import readiness
from plumbing.runtime import Runtime


def attach(app: Flask, runtime: Runtime) -> None:
    """Register ``/``."""

    @app.get("/")
    def front() -> str:
        ready, body = readiness(runtime)
        return render_template("front.html", name=runtime.settings.company_name, ready=ready,
                               failed=body["failed"])
