"""gunicorn's logs as JSON (gunicorn.conf.py's logger_class; no Django imports here).

A hand-written JSON access_log_format broke on a backslash in a User-Agent (`C:\\temp`) and
could be steered by a quote; this builds the entry as data and lets json.dumps escape it.
"""

from __future__ import annotations

import json
import sys
import time

from gunicorn import glogging

from climb.logs import JsonFormatter, redact


class JsonAccessLogger(glogging.Logger):
    """Everything gunicorn logs, as JSON lines on stderr, where Django's log goes too: its own
    messages (workers starting, a worker timed out) through climb.logs.JsonFormatter, and the
    access log, which gunicorn would send to stdout for "-"."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(JsonFormatter())
        if cfg.accesslog == "-":
            for handler in self.access_log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setStream(sys.stderr)

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        if environ.get("PATH_INFO") == "/healthz" and str(status).startswith("2"):
            return  # every balancer, every few seconds; a failing check is logged
        sent = getattr(resp, "sent", 0) or 0
        if not sent:  # a file sent with sendfile (whitenoise) is not counted in `sent`
            sent = getattr(resp, "response_length", None) or 0
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "remote": environ.get("REMOTE_ADDR", ""),
            # The proxy's address is `remote`; the client's is in here (see TRUSTED_PROXY_COUNT).
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": redact(environ.get("RAW_URI", "")),
            "protocol": environ.get("SERVER_PROTOCOL", ""),
            "status": int(status),
            "bytes": sent,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "referer": redact(environ.get("HTTP_REFERER", "")),
            "agent": environ.get("HTTP_USER_AGENT", ""),
        }
        try:
            self.access_log.info("%s", json.dumps(entry, ensure_ascii=False))
        except Exception:  # as gunicorn does: a log line never takes a request down
            self.exception("access log entry failed")
