"""A FastAPI (or Starlette) dependency that verifies the request's key.

    keyward = AsyncKeyward(URL, SERVICE_KEY)
    app.add_exception_handler(KeywardRefused, refused_handler)

    @app.get("/datasets/{id}")
    async def dataset(id: str, key: Verification = Depends(
            require_key(keyward, permission="datasets:read", resource="datasets/{id}"))):
        return {"owner": key["owner"]}

The answer is also left on ``request.state.keyward``. A refused request is
answered 401, 403 or 429 in keyward's common error body once
``refused_handler`` is registered (without it FastAPI wraps the body in
``{"detail": …}``).
"""

from __future__ import annotations

from typing import Awaitable, Callable, Optional, Union

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .aio import AsyncKeyward
from .errors import KeywardError, KeywardUnavailableError
from .guard import FromRequest, Guard, Refusal, build_request, failure, judge
from .types import ErrorBody, Verification


class KeywardRefused(HTTPException):
    """A request the key does not pass; ``body`` is keyward's error body."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.status, detail=refusal.body.get("message"), headers=refusal.headers)
        self.body: ErrorBody = refusal.body


async def refused_handler(_request: Request, exc: Exception) -> Response:
    """Answers a ``KeywardRefused`` with keyward's error body."""
    assert isinstance(exc, KeywardRefused)
    return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers)


def require_key(
    client: AsyncKeyward,
    *,
    permission: FromRequest = None,
    resource: FromRequest = None,
    cost: Union[None, int, Callable[[Request], Optional[int]]] = None,
    ip: Union[bool, Callable[[Request], Optional[str]]] = False,
    key: Optional[Callable[[Request], Optional[str]]] = None,
) -> Callable[[Request], Awaitable[Verification]]:
    """A dependency answering the key's verification, or raising ``KeywardRefused``."""
    guard = Guard(permission=permission, resource=resource, cost=cost, ip=ip, key=key)

    async def dependency(request: Request) -> Verification:
        try:
            verify_request = build_request(
                guard,
                request,
                authorization=request.headers.get("authorization"),
                params=request.path_params,
                client_ip=lambda: request.client.host if request.client else None,
            )
            try:
                verification = await client.verify(verify_request)
            except (KeywardError, KeywardUnavailableError) as error:
                raise failure(error) from error
            judge(verification)
        except Refusal as refusal:
            raise KeywardRefused(refusal) from None
        request.state.keyward = verification
        return verification

    return dependency


__all__ = ["KeywardRefused", "refused_handler", "require_key"]
