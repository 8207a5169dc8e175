"""The Django middleware in a project configured here, verifying keys with
the real keyward server."""

from __future__ import annotations

import django
from django.conf import settings

from .conftest import ADMIN_KEY, URL

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["keyward.django.KeywardMiddleware"],
    KEYWARD_URL=URL,
    KEYWARD_API_KEY=ADMIN_KEY,
    INSTALLED_APPS=[],
    DATABASES={},
)
django.setup()

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402

from keyward import Keyward  # noqa: E402
from keyward.django import require_key  # noqa: E402
from keyward.types import CreatedKey, Org  # noqa: E402

from .conftest import assert_refused  # noqa: E402


@require_key(permission="datasets:read", resource="datasets/{id}", ip=True)
def dataset(request: HttpRequest, id: str) -> JsonResponse:
    key = request.keyward  # type: ignore[attr-defined]
    return JsonResponse({"key_id": key["key_id"], "owner": key["owner"]})


def public(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"open": True, "has_key": hasattr(request, "keyward")})


urlpatterns = [path("datasets/<str:id>", dataset), path("public", public)]


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_marked_view_admits_a_key_with_the_permission(org: Org, reader: CreatedKey) -> None:
    response = Client().get("/datasets/42", **bearer(reader["key"]))  # type: ignore[arg-type]
    assert response.status_code == 200, response.content
    assert response.json() == {
        "key_id": reader["id"],
        "owner": {"type": "organization", "id": org["id"], "name": org["name"]},
    }


def test_refusals_are_answered_in_the_common_error_body(
    admin: Keyward, org: Org, reader: CreatedKey, other: CreatedKey
) -> None:
    client = Client()
    cases = [
        ("/datasets/42", {}, 401, "UNAUTHENTICATED"),
        ("/datasets/42", bearer("kw_notakey"), 401, "UNAUTHENTICATED"),
        ("/datasets/43", bearer(reader["key"]), 403, "INSUFFICIENT_PERMISSIONS"),
        ("/datasets/42", bearer(other["key"]), 403, "INSUFFICIENT_PERMISSIONS"),
    ]
    for url, headers, status, code in cases:
        response = client.get(url, **headers)  # type: ignore[arg-type]
        assert_refused(response.status_code, response.headers, response.json(), status, code)
    admin.keys.update(org["slug"], reader["id"], {"enabled": False})
    response = client.get("/datasets/42", **bearer(reader["key"]))  # type: ignore[arg-type]
    assert_refused(response.status_code, response.headers, response.json(), 401, "KEY_DISABLED")


def test_unmarked_views_pass_untouched() -> None:
    response = Client().get("/public")
    assert response.status_code == 200
    assert response.json() == {"open": True, "has_key": False}
