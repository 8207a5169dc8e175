"""The mapping of verification codes to answers, including codes a newer
server sends (rate limits, credits, allowed IPs)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from keyward import VerificationCache, refusal
from keyward.guard import fill


def answer(**fields: Any) -> Any:
    base: dict[str, Any] = {"valid": False, "code": "NOT_FOUND", "grants": []}
    base.update(fields)
    return base


@pytest.mark.parametrize(
    "code,status,answered",
    [
        ("NOT_FOUND", 401, "UNAUTHENTICATED"),
        ("EXPIRED", 401, "KEY_EXPIRED"),
        ("REVOKED", 401, "KEY_REVOKED"),
        ("DISABLED", 401, "KEY_DISABLED"),
        ("INSUFFICIENT_PERMISSIONS", 403, "INSUFFICIENT_PERMISSIONS"),
        ("IP_NOT_ALLOWED", 403, "IP_NOT_ALLOWED"),
        ("RATE_LIMITED", 429, "RATE_LIMITED"),
        ("USAGE_EXCEEDED", 429, "USAGE_EXCEEDED"),
        ("SOMETHING_NEW", 403, "FORBIDDEN"),
    ],
)
def test_codes_map_to_statuses(code: str, status: int, answered: str) -> None:
    r = refusal(answer(code=code))
    assert r.status == status == r.body["statusCode"]
    assert r.body["code"] == answered
    assert ("www-authenticate" in r.headers) == (status == 401)


def test_limited_and_spent_clients_are_told_when_to_retry() -> None:
    now = datetime.now(timezone.utc)
    soon = (now + timedelta(seconds=30)).isoformat()
    later = (now + timedelta(seconds=90)).isoformat()
    limited = refusal(
        answer(
            code="RATE_LIMITED",
            ratelimits=[
                {"name": "burst", "limit": 10, "remaining": 0, "reset_at": soon},
                {"name": "daily", "limit": 1000, "remaining": 500, "reset_at": later},
            ],
        )
    )
    assert 29 <= int(limited.headers["retry-after"]) <= 31
    spent = refusal(answer(code="USAGE_EXCEEDED", credits={"remaining": 0, "refill_at": later}))
    assert int(spent.headers["retry-after"]) >= 89


def test_templates_refuse_values_that_widen_the_resource() -> None:
    assert fill("datasets/{id}", {"id": "42"}) == "datasets/42"
    assert fill("teams/{team}/datasets/{id}", {"team": "t", "id": 7}) == "teams/t/datasets/7"
    for bad in ({}, {"id": "*"}, {"id": "42/../*"}, {"id": ""}):
        assert fill("datasets/{id}", bad) is None


def test_metered_answers_are_never_cached_and_the_cache_is_bounded() -> None:
    now = [0.0]
    cache = VerificationCache(1.0, max_entries=2, clock=lambda: now[0])
    valid: Any = {"valid": True, "code": "VALID", "grants": []}
    cache.put({"key": "a"}, {**valid, "credits": {"remaining": 5}})
    cache.put({"key": "b"}, {**valid, "ratelimits": [{"name": "r", "limit": 1, "remaining": 0, "reset_at": ""}]})
    assert len(cache) == 0
    for key in "abc":
        cache.put({"key": key}, valid)
    assert len(cache) == 2
    assert cache.get({"key": "a"}) is None
    now[0] = 1.0
    assert cache.get({"key": "c"}) is None
