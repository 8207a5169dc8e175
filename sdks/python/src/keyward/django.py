"""A Django middleware that verifies the request's key for the views that
ask for it.

    # settings.py
    MIDDLEWARE = [..., "keyward.django.KeywardMiddleware"]
    KEYWARD_URL = "http://127.0.0.1:8080"
    KEYWARD_API_KEY = "..."          # a key holding keys:verify
    KEYWARD_CACHE_TTL = 0            # seconds a VALID answer is reused (revocation delay)

    # views.py
    @require_key(permission="datasets:read", resource="datasets/{id}")
    def dataset(request, id):
        return JsonResponse({"owner": request.keyward["owner"]})

Views without ``require_key`` pass untouched. A refused request is answered
401, 403 or 429 in keyward's common error body.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar, Union

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .client import Keyward
from .errors import KeywardError, KeywardUnavailableError
from .guard import FromRequest, Guard, Refusal, build_request, failure, judge

F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "_keyward_guard"


def require_key(
    *,
    permission: FromRequest = None,
    resource: FromRequest = None,
    cost: Union[None, int, Callable[[HttpRequest], Optional[int]]] = None,
    ip: Union[bool, Callable[[HttpRequest], Optional[str]]] = False,
    key: Optional[Callable[[HttpRequest], Optional[str]]] = None,
) -> Callable[[F], F]:
    """Marks a view as needing a valid key (and the permission on the resource)."""
    guard = Guard(permission=permission, resource=resource, cost=cost, ip=ip, key=key)

    def mark(view: F) -> F:
        setattr(view, _ATTRIBUTE, guard)
        return view

    return mark


class KeywardMiddleware:
    """Checks the key of requests to views marked with ``require_key``; the
    answer is ``request.keyward``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.client = Keyward(
            settings.KEYWARD_URL,
            getattr(settings, "KEYWARD_API_KEY", None),
            cache_ttl=float(getattr(settings, "KEYWARD_CACHE_TTL", 0)),
            timeout=float(getattr(settings, "KEYWARD_TIMEOUT", 10)),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: dict[str, Any],
    ) -> Optional[HttpResponse]:
        guard: Optional[Guard] = getattr(view_func, _ATTRIBUTE, None)
        if guard is None:
            return None
        try:
            verify_request = build_request(
                guard,
                request,
                authorization=request.headers.get("Authorization"),
                params=view_kwargs,
                client_ip=lambda: request.META.get("REMOTE_ADDR"),
            )
            try:
                verification = self.client.verify(verify_request)
            except (KeywardError, KeywardUnavailableError) as error:
                raise failure(error) from error
            request.keyward = judge(verification)
        except Refusal as refusal:
            response = JsonResponse(refusal.body, status=refusal.status)
            for name, value in refusal.headers.items():
                response[name] = value
            return response
        return None
