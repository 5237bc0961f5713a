"""Running the site: health check, request logging, a few response headers."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable

import csp.constants
import csp.middleware
import csp.utils
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .logs import redact

request_log = logging.getLogger("climb.request")


def client_ip(request: HttpRequest) -> str:
    """The address of the client, for the limits kept per address (log-in, answers, mails).

    Behind TRUSTED_PROXY_COUNT proxies, REMOTE_ADDR is the nearest proxy's, the same for
    every client: one client's failed log-ins would lock everyone out. Each proxy appends
    the address it was connected from to X-Forwarded-For, so the client is the entry that
    many from the end; anything before it is whatever the client chose to send. A request
    that reached the app without the proxies (no header) is counted by its own address.
    Some proxies write a port too ("203.0.113.7:54321", "[2001:db8::7]:443").
    """
    remote = request.META.get("REMOTE_ADDR", "")
    remote = _address(remote) or remote
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    candidate = hops[-proxies] if len(hops) >= proxies else hops[0] if hops else ""
    address = _address(candidate)
    if address is None:
        request_log.warning("X-Forwarded-For hop %r is not an address", candidate[:100])
        return remote
    return address


def _address(hop: str) -> str | None:
    if hop.startswith("["):  # [IPv6]:port
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:  # IPv4:port
        hop = hop.partition(":")[0]
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return None
    # An IPv4 client of a dual-stack socket, or of a proxy listening on one, is written
    # "::ffff:203.0.113.7": counted by its /64 as IPv6, every IPv4 client was one ("::/64").
    return str(getattr(address, "ipv4_mapped", None) or address)


def limit_key(request: HttpRequest) -> str:
    """What the limits per client address count: the address, or for IPv6 its /64, which one
    household or office gets whole (counted per address, it would be 2^64 fresh clients)."""
    address = client_ip(request)
    if ":" in address:
        try:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        except ValueError:
            return address
    return address


def lockout_address(request: HttpRequest) -> str:
    """The address django-axes locks after failed log-ins: as `limit_key` counts it (an IPv6
    client by its /64, or it sprays passwords from a fresh address for every guess), written
    as an address, which axes stores: the /64's first one."""
    address = client_ip(request)
    if ":" in address:
        try:
            return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
        except ValueError:
            return address
    return address


class RequestLogMiddleware:
    """Log every request once: method, path, status, duration, user, client address; never a
    secret."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = f"/{settings.STATIC_URL.strip('/')}/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path.startswith(self.static_prefix):
            return response
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        path = redact(request.path)
        fields = {
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": user.pk if user is not None and user.is_authenticated else None,
            "client": client_ip(request),  # behind proxies, not the balancer's address
            "htmx": request.META.get("HTTP_HX_REQUEST") == "true",
        }
        level = logging.WARNING if response.status_code >= 400 else logging.INFO
        if response.status_code >= 500:
            level = logging.ERROR
        request_log.log(
            level,
            "%s %s %s %sms",
            request.method,
            path,
            response.status_code,
            duration_ms,
            extra={"fields": fields},
        )
        return response


class ResponseHeadersMiddleware:
    """Headers Django does not set itself.

    Permissions-Policy, and `Cache-Control: no-store` on HTML pages and on the downloads
    (CSV, JSON: a learner's answers, a team's rows) that set nothing else.
    Pages show the reader's progress: kept by the browser, Back brought a page back as it
    was before the answers since (step 1 open again, a climb "not started"), and answering
    it again met "already answered in another tab". A history navigation takes a stored page
    without asking the server even when it says no-cache; only no-store makes it ask.
    Static files (whitenoise: immutable, a year) and the other responses keep their own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Cache-Control" not in headers and headers.get("Content-Type", "").startswith(
            ("text/html", "text/csv", "application/json")
        ):
            headers["Cache-Control"] = "no-store"
        return response


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy string built once instead of per response.

    Our policy is the same for every response (no nonces, no per-view policies), yet
    django-csp rebuilds it from settings each time: a tenth of what a cached page costs. The
    string is kept per settings value (tests change it); anything that varies per response,
    a report-only policy or excluded paths go the library's own way.
    """

    _built: tuple[object, str] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        config = settings.CONTENT_SECURITY_POLICY
        constant = (
            getattr(request, "_csp_nonce", None) is None
            and not any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not config.get("EXCLUDE_URL_PREFIXES")
            and not settings.DEBUG
        )
        if not constant:
            return super().process_response(request, response)
        if self._built is None or self._built[0] is not config:
            self._built = (config, csp.utils.build_policy())
        if csp.constants.HEADER not in response and not getattr(response, "_csp_exempt", False):
            response[csp.constants.HEADER] = self._built[1]
        # As the library does: a nonce asked for after the header is written is an error.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


_PER_RESPONSE_POLICY = [
    f"_csp_{kind}{suffix}" for kind in ("config", "update", "replace") for suffix in ("", "_ro")
]


class HealthCheckMiddleware:
    """First in MIDDLEWARE: /healthz is answered before anything else looks at the request.

    Before the host check, since a load balancer asks each instance by its own address,
    which ALLOWED_HOSTS need not list (it was a 400 and a DisallowedHost traceback); before
    the HTTPS redirect, since it asks over plain HTTP; and outside the request log, which
    every balancer would otherwise fill every few seconds (a failure is logged here)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != "/healthz":
            return self.get_response(request)
        response = healthz(request)
        if response.status_code != 200:
            log_failed_probe(response)
        return response


def log_failed_probe(response: HttpResponse) -> None:
    """One line a person can read, "healthz 503: database error: OperationalError, cache
    ok", with the checks as fields: it was the body's bytes repr, and Django's handler added
    "Service Unavailable: /healthz" as a second ERROR for every probe of an outage."""
    try:
        checks = json.loads(response.content)
        checks.pop("status")
    except (ValueError, KeyError, AttributeError):  # not the check's answer: a 405, say
        checks = {}
    status = response.status_code
    request_log.log(
        logging.ERROR if status >= 500 else logging.WARNING,
        "healthz %s%s",
        status,
        ": " + ", ".join(f"{name} {value}" for name, value in checks.items()) if checks else "",
        extra={"fields": {"path": "/healthz", "status": status, "checks": checks}},
    )
    response._has_been_logged = True  # Django's log_response skips what is logged already


def _static_files() -> str:
    """With hashed static file names (production), the manifest collectstatic writes: without
    it every page fails to render while the database and cache are fine."""
    if not hasattr(staticfiles_storage, "hashed_files"):
        return "ok"  # development: files served from the apps, no manifest
    if not staticfiles_storage.hashed_files:
        return "error: no static files manifest (run collectstatic)"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer: is this process able to reach its database and its cache, and
    can it render pages (static files collected)?"""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "take me out of rotation"
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        key = "healthz:probe"
        cache.set(key, "1", 10)
        checks["cache"] = "ok" if cache.get(key) == "1" else "error: read back nothing"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    static = _static_files()
    if static != "ok":  # only named when it fails: the answer stays as documented otherwise
        checks["static"] = static
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
