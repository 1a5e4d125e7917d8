"""Structured, quiet-by-default logging: one ``key=value`` line per event on stderr.

Warnings and errors only unless ``-v`` (info: one line per crawl) or ``-vv`` (debug: one line
per request). ``--log-json`` writes one JSON object per line for log shippers.

Log through :func:`event`: an event name and its fields. The ``key=value`` formatter prints
them after the name; the JSON formatter writes each field as a JSON field (numbers stay
numbers), with the event name alone as the message.

May import: the standard library only.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({})))
_EVENT, _FIELDS = "na_event", "na_fields"
# Keys a field must not take over in a JSON line.
_RESERVED = {"time", "level", "logger", "message", "exception"}


def _value(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) and not text.startswith('"') else text


def event_line(name: str, fields: dict[str, object]) -> str:
    """``name key=value ...``: the human (and grep) form of an event."""
    return " ".join([name, *(f"{k}={_value(v)}" for k, v in fields.items())])


def event(
    logger: logging.Logger | logging.LoggerAdapter,
    level: int,
    name: str,
    /,
    *,
    exc_info: object = None,
    **fields: object,
) -> None:
    """Log the event *name* with *fields* (kept apart from the message for JSON logs)."""
    if not logger.isEnabledFor(level):
        return
    logger.log(
        level,
        "%s",
        event_line(name, fields),
        exc_info=exc_info,  # type: ignore[arg-type]
        extra={_EVENT: name, _FIELDS: fields},
    )


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {
        k: v for k, v in vars(record).items() if k not in _STANDARD and k not in (_EVENT, _FIELDS)
    }


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")
        line = (
            f"{stamp} level={record.levelname.lower()} logger={record.name} {record.getMessage()}"
        )
        extra = _extras(record)
        if extra:
            line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": getattr(record, _EVENT, None) or record.getMessage(),
        }
        fields = getattr(record, _FIELDS, None) or {}
        for key, value in fields.items():
            data[f"field_{key}" if key in _RESERVED else key] = _json_value(value)
        data.update(_extras(record))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def _json_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def configure(verbosity: int = 0, *, json_lines: bool = False) -> None:
    """Set up the ``newsarchive`` loggers (idempotent)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else KeyValueFormatter())
    root = logging.getLogger("newsarchive")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Libraries stay quiet unless debugging.
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 3 else logging.WARNING)


def ensure_info() -> None:
    """Long-running commands log one line per crawl even without ``-v``."""
    root = logging.getLogger("newsarchive")
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
