"""The dashboard's forms; each carries its CSRF token (Flask-WTF)."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

try:  # WTForms 3.3 names options; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice as _Option
except ImportError:  # pragma: no cover
    def _Option(value: str, label: str) -> tuple[str, str]:  # type: ignore[misc]
        return value, label

from dashboard.waiting import REPLY_MAX

NOTE_MAX = 4000


class SignInForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (sign out, resolve, new link…)."""


class ReplyForm(FlaskForm):
    text = TextAreaField("Your reply", validators=[DataRequired(), Length(max=REPLY_MAX)])
    #: Makes a double-submitted reply be stored once.
    nonce = HiddenField(default=lambda: secrets.token_urlsafe(16))
    submit = SubmitField("Send reply")


class ByHandForm(FlaskForm):
    text = TextAreaField("Message", validators=[Optional(), Length(max=REPLY_MAX)])
    link = StringField("Meeting link (optional)", validators=[Optional(), Length(max=500)])
    #: Makes a double-submitted message be stored once.
    nonce = HiddenField(default=lambda: secrets.token_urlsafe(16))
    submit = SubmitField("Send")


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason (for staff; not sent to the applicant)",
                           validators=[Optional(), Length(max=1000)])
    confirm = BooleanField("Yes, cancel this consultation and tell the applicant",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    submit = SubmitField("Cancel consultation")


class OutcomeForm(FlaskForm):
    outcome = SelectField("Outcome", choices=[_Option("completed", "Completed"),
                                              _Option("no_show", "No-show")])
    submit = SubmitField("Save outcome")


class NoteForm(FlaskForm):
    body = TextAreaField("Private note", validators=[DataRequired(), Length(max=NOTE_MAX)])
    submit = SubmitField("Add note")


class ZoneForm(FlaskForm):
    timezone = StringField("Your time zone (e.g. Europe/London)",
                           validators=[Optional(), Length(max=64)])
    submit = SubmitField("Save time zone")


class ConsultantForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    weekly_hours = StringField("Weekly hours (e.g. mon-fri 09:00-17:00)",
                               validators=[Optional(), Length(max=300)])
    active = BooleanField("Offered to applicants", default=True)
    submit = SubmitField("Save consultant")


class CalendarForm(FlaskForm):
    kind = SelectField("Kind", choices=[
        _Option("caldav", "CalDAV calendar (URL, user, app password)"),
        _Option("ics", "iCalendar feed (private address)")])
    url = StringField("Address (URL)", validators=[DataRequired(), Length(max=1000)])
    username = StringField("User (CalDAV)", validators=[Optional(), Length(max=200)])
    password = PasswordField("App password (CalDAV)", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save calendar")


class DayOffForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired()])
    hours = StringField("Hours that day (empty for a day off, or e.g. 10:00-13:00)",
                        validators=[Optional(), Length(max=200)])
    note = StringField("Note", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Save date")


class SlotsForm(FlaskForm):
    days = IntegerField("Days", validators=[Optional(), NumberRange(min=1, max=60)])


class ExportForm(FlaskForm):
    """An access request: everything held about one person, once the requester is checked."""

    format = SelectField("Format", choices=[_Option("page", "Readable page"),
                                            _Option("json", "JSON file"),
                                            _Option("zip", "ZIP: JSON file and the documents")],
                         default="page")
    confirm = BooleanField("I have checked that this request comes from the person or "
                           "someone entitled to act for them",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    submit = SubmitField("Export")


class EraseForm(FlaskForm):
    confirm = BooleanField("Yes, erase everything about this person (this cannot be undone)",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    submit = SubmitField("Erase this person's data")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("New password (12 characters or more)",
                        validators=[DataRequired(), Length(max=1024)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField("Repeat the new password", validators=[DataRequired(),
                                                                  Length(max=1024)],
                           render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change password")
