"""Log set-up: JSON lines for machines, readable lines for people at a terminal.

Every operation logs one line (`pieces_gateway.operations`) with its name,
duration, upstream calls, error codes and request id; in JSON those are keys
of their own, and every line says which process wrote it (`pid`: one of the
workers of `serve --workers N`).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

__all__ = ["LogFormat", "configure_logging"]

LogFormat = Literal["auto", "json", "text"]

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_JSON_FIELDS = ["asctime", "levelname", "name", "process", "message"]


def configure_logging(
    log_format: LogFormat = "auto", level: str = "INFO", *, stream: TextIO | None = None
) -> None:
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    as_json = log_format == "json" or (log_format == "auto" and not stream.isatty())
    if as_json:
        handler.setFormatter(
            JsonFormatter(
                _JSON_FIELDS,
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "process": "pid",
                },
            )
        )
    else:
        handler.setFormatter(logging.Formatter(_TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
