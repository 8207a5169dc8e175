"""VALID verifications kept for a short time.

A key revoked, disabled or narrowed in keyward keeps its cached VALID
answer here until the entry ages out: that is the revocation delay this
cache costs, at most ``ttl`` seconds. Answers carrying rate limits or
credits are never kept: keyward counts those on every request.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import Callable, Optional, Tuple

from .types import Verification


class VerificationCache:
    def __init__(
        self,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: "OrderedDict[str, Tuple[float, Verification]]" = OrderedDict()
        self._lock = threading.Lock()

    def get(self, request: dict[str, object]) -> Optional[Verification]:
        key = _cache_id(request)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            until, answer = entry
            if until <= self._clock():
                del self._entries[key]
                return None
            return answer

    def put(self, request: dict[str, object], answer: Verification) -> None:
        if not cacheable(answer):
            return
        key = _cache_id(request)
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._entries.popitem(last=False)
            self._entries[key] = (self._clock() + self.ttl, answer)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def cacheable(answer: Verification) -> bool:
    return (
        answer.get("code") == "VALID"
        and answer.get("valid") is True
        and not answer.get("ratelimits")
        and answer.get("credits") is None
    )


def _cache_id(request: dict[str, object]) -> str:
    # The key itself is not held, only a hash of the whole request.
    fields = [request.get(name) for name in ("key", "permission", "resource", "ip", "cost")]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()
