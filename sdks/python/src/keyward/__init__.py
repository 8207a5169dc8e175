"""keyward's Python SDK: sync and async clients for its API, ``verify()``,
and FastAPI/Starlette (``keyward.fastapi``) and Django (``keyward.django``)
integrations."""

from .aio import AsyncKeyward
from .cache import VerificationCache
from .client import Keyward
from .errors import KeywardError, KeywardUnavailableError
from .guard import Guard, Refusal, refusal
from .types import Verification, VerifyRequest

__all__ = [
    "AsyncKeyward",
    "Guard",
    "Keyward",
    "KeywardError",
    "KeywardUnavailableError",
    "Refusal",
    "VerificationCache",
    "Verification",
    "VerifyRequest",
    "refusal",
]
