from __future__ import annotations

import asyncio

import pytest

from keyward import AsyncKeyward, KeywardError, Keyward
from keyward.types import Org

from .conftest import ADMIN_KEY, URL, unique


@pytest.mark.anyio
async def test_the_async_client_verifies_and_manages_keys(org: Org) -> None:
    async with AsyncKeyward(URL, ADMIN_KEY) as admin:
        key = await admin.keys.create(org["slug"], {"name": "async", "scope": "organization"})
        answers = await asyncio.gather(*(admin.verify({"key": key["key"]}) for _ in range(5)))
        assert {a["code"] for a in answers} == {"VALID"}
        assert (await admin.keys.list(org["slug"]))["items"][0]["id"] == key["id"]
        await admin.keys.revoke(org["slug"], key["id"])
        assert (await admin.verify({"key": key["key"]}))["code"] == "REVOKED"
        with pytest.raises(KeywardError) as missing:
            await admin.orgs.get(unique("missing"))
        assert missing.value.code == "ORG_NOT_FOUND"
        assert (await admin.audit.verify(org["slug"]))["ok"] is True


def _counting(calls: list[str]) -> "object":
    import httpx

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            return super().handle_request(request)

    return Counting()


def test_the_cache_is_off_by_default_and_reuses_valid_answers_for_its_ttl(admin: Keyward, org: Org) -> None:
    import time

    key = admin.keys.create(org["slug"], {"name": "cached", "scope": "organization"})
    calls: list[str] = []
    with Keyward(URL, ADMIN_KEY, cache_ttl=1.5, transport=_counting(calls)) as cached:  # type: ignore[arg-type]
        assert cached.verify({"key": key["key"]})["code"] == "VALID"
        admin.keys.revoke(org["slug"], key["id"])
        # The revocation delay: within the TTL the revoked key is still VALID here.
        assert cached.verify({"key": key["key"]})["code"] == "VALID"
        assert len(calls) == 1
        # Without a cache the revocation is honoured at once.
        assert admin.verify({"key": key["key"]})["code"] == "REVOKED"
        # A different question about the key is not the cached one.
        assert cached.verify({"key": key["key"], "permission": "keys:read"})["code"] == "REVOKED"
        # Answers other than VALID are never kept.
        assert cached.verify({"key": key["key"], "permission": "keys:read"})["code"] == "REVOKED"
        assert len(calls) == 3
        time.sleep(1.6)
        assert cached.verify({"key": key["key"]})["code"] == "REVOKED"
        assert len(calls) == 4
    assert admin.cache is None
