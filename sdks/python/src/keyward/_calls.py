"""Every API operation as a request description, shared by the sync and
async clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Generic, Optional, TypeVar
from urllib.parse import quote

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    body: Optional[Any] = None
    query: Optional[Dict[str, Any]] = None
    #: Read the answer as text rather than JSON.
    text: bool = False


def seg(value: str) -> str:
    return quote(str(value), safe="")


def org_path(org: str) -> str:
    return f"/api/v1/orgs/{seg(org)}"


def audit_path(org: Optional[str]) -> str:
    return "/api/v1/audit" if org is None else f"{org_path(org)}/audit"


def given(**fields: Any) -> Dict[str, Any]:
    """The fields that were given (not None), as a JSON body or query."""
    return {name: value for name, value in fields.items() if value is not None}
