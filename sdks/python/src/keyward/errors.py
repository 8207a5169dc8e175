"""What can go wrong when talking to keyward."""

from __future__ import annotations

from typing import Any

from .types import ErrorBody


class KeywardError(Exception):
    """keyward answered with a non-2xx status; ``body`` is its common error body."""

    def __init__(self, status: int, body: ErrorBody) -> None:
        self.status = status
        self.body = body
        self.code: str = body.get("code", "UNEXPECTED_RESPONSE")
        super().__init__(f"{self.code}: {body.get('message', '')}")


class KeywardUnavailableError(Exception):
    """keyward could not be reached, or its answer could not be read."""


def error_body(status: int, payload: Any, text: str) -> ErrorBody:
    """keyward's error body, or a stand-in in its shape for a foreign one."""
    if isinstance(payload, dict) and isinstance(payload.get("code"), str):
        return payload  # type: ignore[return-value]
    return {
        "statusCode": status,
        "error": "Unexpected response",
        "code": "UNEXPECTED_RESPONSE",
        "message": text[:200] or f"status {status}",
    }
