"""The keyward server the tests talk to: ``KEYWARD_URL`` and
``KEYWARD_ADMIN_KEY`` (scripts/sdk-tests sets both)."""

from __future__ import annotations

import os
import secrets
from typing import Iterator

import pytest

from keyward import Keyward
from keyward.types import CreatedKey, Org


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"{name} must name the keyward server under test (run scripts/sdk-tests)")
    return value


URL = _required("KEYWARD_URL")
ADMIN_KEY = _required("KEYWARD_ADMIN_KEY")


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def admin() -> Iterator[Keyward]:
    with Keyward(URL, ADMIN_KEY) as client:
        yield client


@pytest.fixture
def org(admin: Keyward) -> Org:
    """A fresh organization with ``datasets:read`` in its catalog."""
    created = admin.orgs.create({"name": unique("sdk-py")})
    admin.permissions.create(created["slug"], {"name": "datasets:read", "read_only": True})
    return created


@pytest.fixture
def reader(admin: Keyward, org: Org) -> CreatedKey:
    """``datasets:read`` on ``datasets/42`` only."""
    return admin.keys.create(
        org["slug"],
        {
            "name": "reader",
            "scope": "organization",
            "permissions": [{"permission": "datasets:read", "resource": "datasets/42"}],
        },
    )


@pytest.fixture
def other(admin: Keyward, org: Org) -> CreatedKey:
    """``keys:read`` only."""
    return admin.keys.create(org["slug"], {"name": "other", "scope": "organization", "permissions": ["keys:read"]})


def assert_refused(status: int, headers: "dict[str, str] | object", body: object, expected: int, code: str) -> None:
    assert status == expected, body
    assert isinstance(body, dict)
    assert sorted(body) == ["code", "error", "message", "statusCode"], body
    assert body["statusCode"] == expected
    assert body["code"] == code
    assert body["message"]
    if expected == 401:
        assert headers["www-authenticate"].startswith("Bearer")  # type: ignore[index]
