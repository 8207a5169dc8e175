"""The FastAPI dependency in an app served in-process, verifying keys with
the real keyward server."""

from __future__ import annotations

from typing import Iterator, Optional

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from keyward import AsyncKeyward, Keyward
from keyward.fastapi import KeywardRefused, refused_handler, require_key
from keyward.types import CreatedKey, Org, Verification

from .conftest import ADMIN_KEY, URL, assert_refused

seen_ips: list[Optional[str]] = []


def build_app(client: AsyncKeyward) -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(KeywardRefused, refused_handler)

    @app.get("/datasets/{id}")
    async def dataset(
        id: str,
        key: Verification = Depends(require_key(client, permission="datasets:read", resource="datasets/{id}")),
    ) -> dict[str, object]:
        return {"key_id": key["key_id"], "owner": key["owner"]}

    def pick_ip(request: Request) -> Optional[str]:
        ip = request.headers.get("x-client-ip")
        seen_ips.append(ip)
        return ip

    @app.get("/whoami", dependencies=[Depends(require_key(client, ip=pick_ip))])
    async def whoami(request: Request) -> dict[str, object]:
        return {"code": request.state.keyward["code"]}

    return app


@pytest.fixture
def http() -> Iterator[TestClient]:
    with TestClient(build_app(AsyncKeyward(URL, ADMIN_KEY))) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_a_key_with_the_permission_on_the_routes_resource_passes(http: TestClient, org: Org, reader: CreatedKey) -> None:
    response = http.get("/datasets/42", headers=bearer(reader["key"]))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "key_id": reader["id"],
        "owner": {"type": "organization", "id": org["id"], "name": org["name"]},
    }


def test_refusals_are_401_403_and_400_in_the_common_error_body(
    http: TestClient, reader: CreatedKey, other: CreatedKey
) -> None:
    for path, headers, status, code in [
        ("/datasets/42", {}, 401, "UNAUTHENTICATED"),
        ("/datasets/42", {"authorization": f"Basic {reader['key']}"}, 401, "UNAUTHENTICATED"),
        ("/datasets/42", bearer("kw_notakey"), 401, "UNAUTHENTICATED"),
        ("/datasets/43", bearer(reader["key"]), 403, "INSUFFICIENT_PERMISSIONS"),
        ("/datasets/42", bearer(other["key"]), 403, "INSUFFICIENT_PERMISSIONS"),
        ("/datasets/*", bearer(reader["key"]), 400, "BAD_REQUEST"),
    ]:
        response = http.get(path, headers=headers)
        assert_refused(response.status_code, response.headers, response.json(), status, code)


def test_the_client_ip_is_passed_and_a_revoked_key_is_refused_at_once(
    http: TestClient, admin: Keyward, org: Org, other: CreatedKey
) -> None:
    response = http.get("/whoami", headers={**bearer(other["key"]), "x-client-ip": "192.0.2.9"})
    assert response.status_code == 200, response.text
    assert response.json() == {"code": "VALID"}
    assert seen_ips[-1] == "192.0.2.9"
    admin.keys.revoke(org["slug"], other["id"])
    response = http.get("/whoami", headers=bearer(other["key"]))
    assert_refused(response.status_code, response.headers, response.json(), 401, "KEY_REVOKED")


def test_an_unreachable_keyward_is_503(reader: CreatedKey) -> None:
    with TestClient(build_app(AsyncKeyward("http://127.0.0.1:9", ADMIN_KEY, timeout=2))) as http:
        response = http.get("/datasets/42", headers=bearer(reader["key"]))
    assert_refused(response.status_code, response.headers, response.json(), 503, "UNAVAILABLE")
    assert response.headers["retry-after"] == "5"
