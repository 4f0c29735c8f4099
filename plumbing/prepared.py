"""Statements compiled once and sent on the driver's cursor: for the few that every message
sends (``bot.store``).

``Connection.execute`` does on every execution what such a statement needs once: its cache
key, the look-up of its compiled form, an execution context and a result object (about
three quarters of the time a turn's statement took). A :class:`Prepared` statement is
compiled once per dialect and set of parameter names, with its types' bind and result
processors looked up then. Each execution converts the values, sends the SQL through
SQLAlchemy's own cursor path (``Connection._cursor_execute``: the ``before_cursor_execute``
events still see every statement, and a driver error still becomes a
:mod:`sqlalchemy.exc` error, a dead connection dropped from the pool) and converts the
rows back. Only parameters given are sent: a column default is not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Form:
    sql: str
    #: Parameter names in order, for a positional paramstyle (None: by name).
    positions: tuple[str, ...] | None
    defaults: dict[str, Any]
    binds: dict[str, Processor]
    results: tuple[Processor | None, ...]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        merged = {**self.defaults, **values}
        for name, process in self.binds.items():
            merged[name] = process(merged[name])
        if self.positions is None:
            return merged
        return tuple(merged[name] for name in self.positions)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(value if process is None else process(value)
                     for process, value in zip(self.results, raw, strict=True))


class Prepared:
    """A Core statement (``columns``: the ones it returns, in order) run as described above."""

    def __init__(self, statement: ClauseElement,
                 columns: Sequence[ColumnElement[Any]] = ()) -> None:
        self.statement = statement
        self.columns = tuple(columns)
        self._forms: dict[tuple[str, tuple[str, ...]], _Form] = {}

    def _form(self, dialect: Dialect, names: tuple[str, ...]) -> _Form:
        key = (dialect.name, names)
        form = self._forms.get(key)
        if form is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(names))
            defaults, binds = {}, {}
            for bind, name in compiled.bind_names.items():  # type: ignore[attr-defined]
                if name not in names:
                    if bind.required:
                        raise ValueError(f"no value for {name!r}")
                    defaults[name] = bind.effective_value  # e.g. LIMIT 1
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    binds[name] = process
            positions = compiled.positiontup  # type: ignore[attr-defined]
            results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                            for c in self.columns)
            form = _Form(compiled.string, tuple(positions) if positions else None, defaults,
                         binds, results)
            self._forms[key] = form
        return form

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute with ``values``; the rows it returns (none when it returns no columns)."""
        form = self._form(connection.dialect, tuple(values))
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, form.sql, form.parameters(values))
            raw = cursor.fetchall() if self.columns else []
        except connection.dialect.loaded_dbapi.Error as exc:  # reading the rows failed
            connection._handle_dbapi_exception(exc, form.sql, values, cursor, None)
            raise  # not reached: the call above raises
        finally:
            cursor.close()
        return [form.row(row) for row in raw]

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        rows = self.rows(connection, values)
        return rows[0] if rows else None
