"""Log formatting, importable while settings load (no Django imports here)."""

from __future__ import annotations

import json
import logging
import re


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log collectors parse without a regex."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class WithoutTraceback(logging.Filter):
    """A refusal to keep in sight, not an error: one WARNING line, without the traceback.

    For django.security.DisallowedHost, which Django logs as an ERROR with a traceback on
    every request whose Host is not in ALLOWED_HOSTS: scanners asking by address or by some
    other name sent enough to bury the real errors. The message still names the host.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        # The logger let it through as an ERROR: as a WARNING it goes only where warnings do
        # (DJANGO_LOG_LEVEL=ERROR drops it, as it drops the others).
        return logging.getLogger(record.name).isEnabledFor(logging.WARNING)


# Addresses that hold a secret: a password-reset link's user id and token, an invite link's
# token. Whoever reads the logs must not be able to follow them. Also quoted, as in
# ?next=%2Fteams%2Fjoin%2F<token>%2F (a log-in on the way to an invite), once or twice.
_SLASH = r"(?:/|%(?:25)*2[fF])"
_PART = r"[^/?#&%]+"
_SECRET_PATHS = re.compile(
    rf"({_SLASH}password{_SLASH}reset{_SLASH}){_PART}{_SLASH}{_PART}"
    rf"|({_SLASH}teams{_SLASH}join{_SLASH}){_PART}"
)


def redact(url: str) -> str:
    """`url` (a path or a whole address) with its secret parts replaced by "…"."""
    return _SECRET_PATHS.sub(lambda m: f"{m[1]}…/…" if m[1] else f"{m[2]}…", url)


class NotARequestLine(logging.Filter):
    """runserver's own line for each request (it has a status code): the request log says
    each request once, with its time and without secrets. Its other lines pass (a request
    sent with HTTPS to the plain-HTTP server)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not hasattr(record, "status_code")


class RedactSecrets(logging.Filter):
    """Django's own lines name the path: 'Internal Server Error: /teams/join/<token>/'. Each
    text argument of the message goes through redact(), as the request log's path does."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
