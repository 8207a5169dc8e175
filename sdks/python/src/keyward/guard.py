"""What the framework integrations share: reading the key, building the
permission and resource, and turning a "no" into an answer in keyward's
common error body (401, 403 or 429)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

from .errors import KeywardError
from .types import ErrorBody, Verification, VerifyRequest

Req = Any
#: A value given as is, or computed from the framework's request.
FromRequest = Union[None, str, Callable[[Req], Optional[str]]]


@dataclass(frozen=True)
class Guard:
    """What a protected route asks of the request's key.

    ``resource`` is a template whose ``{name}`` parts are filled from the
    route's path parameters (``datasets/{id}``), or a function of the
    request. ``ip=True`` passes the client's address for keys with allowed
    IPs (or give a function that picks it).
    """

    permission: FromRequest = None
    resource: FromRequest = None
    cost: Union[None, int, Callable[[Req], Optional[int]]] = None
    ip: Union[bool, Callable[[Req], Optional[str]]] = False
    key: Optional[Callable[[Req], Optional[str]]] = None


@dataclass
class Refusal(Exception):
    """The answer a refused request gets: status, keyward's error body, headers."""

    status: int
    body: ErrorBody
    headers: Dict[str, str] = field(default_factory=dict)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def refuse(
    status: int,
    code: str,
    message: str,
    retry_after: Optional[int] = None,
    details: Any = None,
) -> Refusal:
    body: ErrorBody = {
        "statusCode": status,
        "error": _REASONS.get(status, "Error"),
        "code": code,
        "message": message,
    }
    if details is not None:
        body["details"] = details
    headers: Dict[str, str] = {}
    if status == 401:
        headers["www-authenticate"] = 'Bearer realm="keyward"'
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return Refusal(status, body, headers)


def build_request(
    guard: Guard,
    req: Req,
    *,
    authorization: Optional[str],
    params: Mapping[str, Any],
    client_ip: Callable[[], Optional[str]],
) -> VerifyRequest:
    """The verification to ask for, or raises ``Refusal`` (no key, bad parameter)."""
    key = guard.key(req) if guard.key is not None else bearer(authorization)
    if not key:
        raise refuse(401, "UNAUTHENTICATED", "an API key is required: Authorization: Bearer <key>")
    request: VerifyRequest = {"key": key}
    permission = _pick(guard.permission, req)
    if permission is not None:
        request["permission"] = permission
    if guard.resource is not None:
        if callable(guard.resource):
            resource = guard.resource(req)
        else:
            resource = fill(guard.resource, params)
            if resource is None:
                raise refuse(400, "BAD_REQUEST", "a route parameter does not name a resource")
        if resource is not None:
            request["resource"] = resource
    cost = guard.cost(req) if callable(guard.cost) else guard.cost
    if cost is not None:
        request["cost"] = cost
    if guard.ip is not False:
        ip = client_ip() if guard.ip is True else guard.ip(req)
        if ip:
            request["ip"] = ip
    return request


def judge(verification: Verification) -> Verification:
    """The verification when VALID; otherwise raises the ``Refusal`` it earns."""
    if verification.get("code") == "VALID" and verification.get("valid") is True:
        return verification
    raise refusal(verification)


def refusal(v: Verification) -> Refusal:
    code = v.get("code")
    if code == "NOT_FOUND":
        return refuse(401, "UNAUTHENTICATED", "the API key is not valid")
    if code == "EXPIRED":
        return refuse(401, "KEY_EXPIRED", "the API key has expired")
    if code == "REVOKED":
        return refuse(401, "KEY_REVOKED", "the API key has been revoked")
    if code == "DISABLED":
        return refuse(401, "KEY_DISABLED", "the API key is disabled")
    if code == "INSUFFICIENT_PERMISSIONS":
        return refuse(403, "INSUFFICIENT_PERMISSIONS", "the API key may not do this")
    if code == "IP_NOT_ALLOWED":
        return refuse(403, "IP_NOT_ALLOWED", "the API key may not be used from this client's address")
    if code == "RATE_LIMITED":
        resets = [l["reset_at"] for l in v.get("ratelimits") or [] if l.get("remaining", 1) <= 0]
        return refuse(
            429, "RATE_LIMITED", "the API key has made too many requests; try again later", _retry_after(resets)
        )
    if code == "USAGE_EXCEEDED":
        credits = v.get("credits") or {}
        refill = credits.get("refill_at")
        return refuse(429, "USAGE_EXCEEDED", "the API key has used up its credits", _retry_after([refill] if refill else []))
    # A code this package does not know yet: a "no" all the same.
    return refuse(403, "FORBIDDEN", "the API key may not be used here", details={"code": code})


def failure(error: Exception) -> Refusal:
    """keyward could not answer: what the protected service says instead."""
    if isinstance(error, KeywardError) and error.status in (400, 422):
        # The permission or resource asked about is malformed.
        return refuse(400, "BAD_REQUEST", str(error.body.get("message", "bad request")))
    if isinstance(error, KeywardError) and error.status < 500 and error.status != 429:
        return refuse(500, "INTERNAL", "the API key could not be checked")
    return refuse(503, "UNAVAILABLE", "the API key could not be checked; try again shortly", retry_after=5)


_BEARER = re.compile(r"^Bearer[ \t]+(\S+)[ \t]*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WIDENING = re.compile(r"[/*\s]")


def bearer(header: Optional[str]) -> Optional[str]:
    if header is None:
        return None
    match = _BEARER.match(header)
    return match.group(1) if match else None


def fill(template: str, params: Mapping[str, Any]) -> Optional[str]:
    """``datasets/{id}`` with the route's ``id``; None when a parameter is
    missing or could widen the resource (empty, ``*``, or a ``/``)."""
    broken = False

    def value(match: "re.Match[str]") -> str:
        nonlocal broken
        raw = params.get(match.group(1))
        text = "" if raw is None else str(raw)
        if text == "" or _WIDENING.search(text):
            broken = True
            return ""
        return text

    filled = _PLACEHOLDER.sub(value, template)
    return None if broken else filled


def _pick(value: FromRequest, req: Req) -> Optional[str]:
    return value(req) if callable(value) else value


def _retry_after(times: Iterable[str], now: Optional[float] = None) -> Optional[int]:
    instants = []
    for t in times:
        try:
            instants.append(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp())
        except (ValueError, AttributeError):
            continue
    if not instants:
        return None
    wait = min(instants) - (time.time() if now is None else now)
    return max(1, math.ceil(wait))
