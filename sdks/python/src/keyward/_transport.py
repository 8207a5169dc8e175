"""What the sync and async clients share: headers, and reading an answer."""

from __future__ import annotations

from typing import Any, Dict, Optional

import httpx

from ._calls import Call
from .errors import KeywardError, KeywardUnavailableError, error_body


def headers(api_key: Optional[str], extra: Optional[Dict[str, str]]) -> Dict[str, str]:
    out = {"accept": "application/json"}
    out.update(extra or {})
    if api_key is not None:
        out["authorization"] = f"Bearer {api_key}"
    return out


def request_args(call: Call[Any]) -> Dict[str, Any]:
    args: Dict[str, Any] = {"method": call.method, "url": call.path}
    if call.body is not None:
        args["json"] = call.body
    if call.query:
        args["params"] = call.query
    return args


def read(call: Call[Any], response: httpx.Response) -> Any:
    if not response.is_success:
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        raise KeywardError(response.status_code, error_body(response.status_code, payload, response.text))
    if call.text:
        return response.text
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as e:
        raise KeywardUnavailableError(
            f"keyward answered {call.method} {call.path} with a body that is not JSON"
        ) from e


def unreachable(base_url: str, error: Exception) -> KeywardUnavailableError:
    return KeywardUnavailableError(f"keyward at {base_url} could not be reached: {type(error).__name__}")

