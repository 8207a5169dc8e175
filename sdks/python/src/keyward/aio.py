"""The asynchronous client: the same methods as `Keyward`, awaited."""

from __future__ import annotations

from typing import Any, Dict, Optional, TypeVar

import httpx

from . import _aresources as r
from ._calls import Call
from ._transport import headers, read, request_args, unreachable
from .cache import VerificationCache
from .types import Verification, VerifyRequest

T = TypeVar("T")


class AsyncKeyward:
    """A client for keyward's JSON API.

    ``api_key`` is the caller's credential (the admin key, an API key, or a
    session token), sent as ``Authorization: Bearer``. ``cache_ttl`` (seconds,
    default 0: off) reuses VALID verifications without asking keyward; a
    revoked key keeps working here for up to that long.

    Methods return the decoded answer, or raise ``KeywardError`` (keyward said
    no) or ``KeywardUnavailableError`` (keyward could not be reached).
    """

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        *,
        timeout: float = 10.0,
        cache_ttl: float = 0.0,
        cache_max_entries: int = 10_000,
        headers: Optional[Dict[str, str]] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )
        self.cache = VerificationCache(cache_ttl, cache_max_entries) if cache_ttl > 0 else None
        self.orgs = r.Orgs(self)
        self.permissions = r.Permissions(self)
        self.keys = r.Keys(self)
        self.members = r.Members(self)
        self.invitations = r.Invitations(self)
        self.teams = r.Teams(self)
        self.roles = r.Roles(self)
        self.groups = r.Groups(self)
        self.service_accounts = r.ServiceAccounts(self)
        self.audit = r.Audit(self)
        self.sessions = r.Sessions(self)
        self.users = r.Users(self)

    async def verify(self, request: VerifyRequest) -> Verification:
        """"Is this key valid, whose is it, and may it do this?" A key that is
        not valid is an answer (see ``code``), not an error."""
        req: Dict[str, Any] = dict(request)
        if self.cache is not None:
            cached = self.cache.get(req)
            if cached is not None:
                return cached
        answer: Verification = await self.send(Call("POST", "/api/v1/keys/verify", body=req))
        if self.cache is not None:
            self.cache.put(req, answer)
        return answer

    async def send(self, call: Call[Any]) -> Any:
        """Sends one request and decodes its answer (None for 204)."""
        try:
            response = await self._http.request(**request_args(call))
        except httpx.HTTPError as e:
            raise unreachable(self.base_url, e) from e
        return read(call, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncKeyward":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


_headers = headers
