"""HTTP for the ``openai`` engine: one request, retried when the failure is transient.

Failures are sorted once, here: 429/5xx/timeouts/resets are transient and retried with
capped exponential backoff (``Retry-After`` honoured); 401/402/403/404 are systemic and
stop the run with a message that says what to fix; other 4xx fail the one specimen.
The API key is sent in a header and scrubbed from every message that leaves this module.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from herbx.__about__ import __version__
from herbx.engines.base import EngineError, SystemicEngineError, TransientEngineError
from herbx.engines.openai.retry import TRANSIENT_STATUSES, backoff_delay, parse_retry_after
from herbx.engines.openai.settings import OpenAISettings

RetryHook = Callable[[dict[str, Any]], None]


class HttpTransientError(TransientEngineError):
    """A transient failure, with the HTTP status when there was one."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, reason=reason, retry_after=retry_after)
        self.status_code = status_code


class HttpSystemicError(SystemicEngineError):
    """A failure no retry fixes (bad key, no credit, unknown model), with its HTTP status."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class RequestRefusedError(EngineError):
    """The server refused this one request (4xx other than auth/credit/model). Not retried."""

    reason = "bad_request"

    def __init__(self, message: str, *, status_code: int, server_message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.server_message = server_message


class ChatClient:
    """A small client for ``/chat/completions`` and ``/models`` on any compatible server."""

    def __init__(
        self,
        settings: OpenAISettings,
        api_key: str | None,
        key_env: str | None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._api_key = api_key
        self.key_env = key_env
        self.host = urlsplit(settings.base_url).hostname or settings.public_base_url
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            headers={"User-Agent": f"herbx/{__version__}", "X-Title": "herbx"},
        )

    def __repr__(self) -> str:
        return f"ChatClient(base_url={self.settings.public_base_url!r}, key_env={self.key_env!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- messages -------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` with the API key (and any credentials in base_url) removed, on one line."""
        if self._api_key:
            text = text.replace(self._api_key, "***")
        if self.settings.public_base_url != self.settings.base_url:
            text = text.replace(self.settings.base_url, self.settings.public_base_url)
        return " ".join(text.split())

    def _server_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return self.scrub(response.text[:200])
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            error = error.get("message") or error.get("code")
        if error is None and isinstance(body, dict):
            error = body.get("message") or body.get("detail")
        return self.scrub(str(error if error is not None else response.text)[:200])

    def classify(self, status: int, message: str, retry_after: float | None) -> EngineError:
        """The engine error for an HTTP failure ``status`` with the server's ``message``."""
        s = self.settings
        said = f" (server said: {message})" if message else ""
        if status == 401:
            if self._api_key is None:
                return HttpSystemicError(
                    f"{self.host} needs an API key (HTTP 401){said}: {s.key_hint()}",
                    status_code=401,
                )
            return HttpSystemicError(
                f"{self.host} rejected the API key from ${self.key_env} (HTTP 401){said}: "
                "check or replace that key",
                status_code=401,
            )
        if status == 402:
            return HttpSystemicError(
                f"{self.host} says the account is out of credit (HTTP 402){said}: "
                "add credit or choose a cheaper engines.openai.model",
                status_code=402,
            )
        if status == 403:
            return HttpSystemicError(
                f"{self.host} refused access (HTTP 403){said}: the key lacks access to model "
                f"{s.model!r} or its quota is used up; check the key's limits or the model",
                status_code=403,
            )
        if status == 404:
            return HttpSystemicError(
                f"{self.host} does not know model {s.model!r} or the URL "
                f"{s.public_base_url} (HTTP 404){said}: check engines.openai.model and "
                "engines.openai.base_url (`herbx engines check` lists close model names)",
                status_code=404,
            )
        if status in TRANSIENT_STATUSES or status >= 500:
            return HttpTransientError(
                f"HTTP {status} from {self.host}{said}",
                status_code=status,
                retry_after=retry_after,
            )
        hint = " (lower engines.openai.max_image_side)" if status == 413 else ""
        return RequestRefusedError(
            f"{self.host} refused the request (HTTP {status}){said}{hint}",
            status_code=status,
            server_message=message,
        )

    # -- requests -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _once(self, method: str, path: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        """One request; returns the JSON body or raises a classified :class:`EngineError`."""
        try:
            response = self._http.request(method, path, json=payload, headers=self._headers())
        except httpx.TimeoutException as exc:
            raise TransientEngineError(
                f"{self.host} did not answer in time ({type(exc).__name__}, "
                f"timeout {self.settings.timeout_s:g} s)",
                reason="timeout",
            ) from None
        except httpx.TransportError as exc:
            raise TransientEngineError(
                self.scrub(f"connection to {self.host} failed: {type(exc).__name__}: {exc}")
            ) from None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if response.status_code != 200:
            raise self.classify(response.status_code, self._server_message(response), retry_after)
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            # A cut or garbled body is a glitch between us and the model: worth a retry.
            raise TransientEngineError(
                f"{self.host} sent a response that is not JSON: {self.scrub(response.text[:120])!r}"
            ) from None
        if not isinstance(body, dict):
            raise TransientEngineError(f"{self.host} sent JSON that is not an object")
        error = body.get("error")
        if error and not body.get("choices") and not body.get("data"):
            # Some routers answer 200 with an error object whose code is the real status.
            code = error.get("code") if isinstance(error, dict) else None
            status = code if isinstance(code, int) and 400 <= code < 600 else 502
            msg = error.get("message", "") if isinstance(error, dict) else str(error)
            raise self.classify(status, self.scrub(str(msg)[:200]), retry_after)
        return body

    def request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        on_retry: RetryHook | None = None,
        max_retries: int | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Send with retries; returns ``(json body, retries used)``.

        Transient failures are retried up to ``max_retries`` times (default from settings),
        each announced to ``on_retry`` before sleeping. When retries run out the last
        :class:`TransientEngineError` is raised, its message saying how many attempts failed.
        """
        s = self.settings
        retries_allowed = s.max_retries if max_retries is None else max_retries
        attempts = retries_allowed + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._once(method, path, payload), attempt - 1
            except TransientEngineError as exc:
                status = exc.status_code if isinstance(exc, HttpTransientError) else None
                if attempt == attempts:
                    raise TransientEngineError(
                        f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {exc}",
                        reason=exc.reason,
                        retry_after=exc.retry_after,
                    ) from None
                if exc.retry_after is not None:
                    delay = min(exc.retry_after, s.retry_after_max_s)
                else:
                    delay = backoff_delay(
                        attempt,
                        base_s=s.backoff_base_s,
                        cap_s=s.backoff_cap_s,
                        jitter=s.backoff_jitter,
                        rng=self._rng,
                    )
                if on_retry is not None:
                    on_retry(
                        {
                            "attempt": attempt,
                            "max_attempts": attempts,
                            "delay_s": round(delay, 3),
                            "error": str(exc),
                            "status_code": status,
                        }
                    )
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def chat(
        self, payload: dict[str, Any], *, on_retry: RetryHook | None = None
    ) -> tuple[dict[str, Any], int]:
        """POST ``/chat/completions``."""
        return self.request("POST", "chat/completions", payload, on_retry=on_retry)

    def list_models(self) -> list[str] | None:
        """Model ids from ``GET /models``; None when the server has no such listing.

        Auth failures raise :class:`SystemicEngineError` as for any request.
        """
        try:
            body, _ = self.request("GET", "models", max_retries=1)
        except HttpSystemicError as exc:
            if exc.status_code == 404:
                return None
            raise
        except RequestRefusedError:
            return None
        data = body.get("data")
        if not isinstance(data, list):
            return None
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
