"""DingTalk's HTTP APIs over aiohttp: the access token, JSON calls on the api host, uploads on the oapi host.

Every request to either host is counted (`on_call`): a standard-edition organisation has 5,000 API
calls a month for all its apps. Throttling (HTTP 403 `…QpsLimit…`, 20 QPS per API per app) and
5xx or network errors are retried here a few times with waits; a refusal for good (other 4xx, an
oapi `errcode`) is `Refused`. Nothing here logs the client secret or a request URL (the oapi URL
carries the access token).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

ATTEMPTS = 5  # tries of one call on throttling, 5xx and network errors
TOKEN_MARGIN = 300.0  # seconds before expiry at which the access token is fetched anew
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
# oapi errcodes that mean "the token is no longer good": fetch a new one and try once more.
OAPI_TOKEN_CODES = {40001, 40014, 42001}
# oapi errcodes that pass: system busy, and the QPS limits.
OAPI_RETRY_CODES = {-1, 90002, 90006, 90018}


class DingTalkError(Exception):
    """A DingTalk call failed; `code` is DingTalk's error code (or the HTTP status), never a secret."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {' '.join(message.split())[:200]}")
        self.status = status
        self.code = code


class Refused(DingTalkError):
    """DingTalk refused the call for good (bad parameter, no permission, unknown chat): never retried."""


class Unavailable(DingTalkError):
    """DingTalk could not be reached or kept throttling after every retry: try again later."""


class BadCredentials(Refused):
    """DingTalk refused the client id and secret."""


@dataclass
class Token:
    """An access token and when it expires."""

    value: str
    expires_at: float  # loop time after which it is fetched anew (before DingTalk's expiry)


def _throttled(status: int, code: str) -> bool:
    return (status == 403 and "qpslimit" in code.lower()) or status == 429


class DingTalkApi:
    """One app's calls: `call` on the api host, `upload` on the oapi host, `download` of a file URL."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_base_url: str,
        oapi_base_url: str,
        on_call: Callable[[], None],
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.api_base_url = api_base_url.rstrip("/")
        self.oapi_base_url = oapi_base_url.rstrip("/")
        self._on_call = on_call
        self._http: aiohttp.ClientSession | None = None
        self._token: Token | None = None
        self._token_lock = asyncio.Lock()
        self.retries = 0  # throttled or failed attempts that were tried again (for tests and logs)

    @property
    def http(self) -> aiohttp.ClientSession:
        """Return the shared HTTP session (opened on first use, inside the running loop)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._http

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    # --- the access token ---------------------------------------------------------------------

    async def token(self) -> str:
        """Return a valid access token, fetching a new one shortly before the cached one expires."""
        loop = asyncio.get_running_loop()
        async with self._token_lock:
            if self._token is None or loop.time() > self._token.expires_at:
                body = {"appKey": self.client_id, "appSecret": self._secret}
                try:
                    answer = await self._json(
                        "POST", f"{self.api_base_url}/v1.0/oauth2/accessToken", body, None
                    )
                except Refused as exc:
                    raise BadCredentials(
                        exc.status, exc.code, "DingTalk refused dingtalk.client_id / client_secret"
                    ) from None
                expire_in = float(answer.get("expireIn") or 7200)
                # Fetched anew `TOKEN_MARGIN` before it expires, or at half its life when it lives shorter.
                fresh_for = max(expire_in - TOKEN_MARGIN, expire_in / 2)
                self._token = Token(str(answer["accessToken"]), loop.time() + fresh_for)
            return self._token.value

    def forget_token(self) -> None:
        """Drop the cached access token (DingTalk said it is no longer valid)."""
        self._token = None

    # --- calls --------------------------------------------------------------------------------

    async def open_connection(self, subscriptions: list[dict[str, str]]) -> tuple[str, str]:
        """Ask the Stream gateway for a connection; return (endpoint, ticket)."""
        body = {
            "clientId": self.client_id,
            "clientSecret": self._secret,
            "subscriptions": subscriptions,
            "ua": "safetybot/0.1 (aiohttp)",
            "localIp": "",
        }
        try:
            answer = await self._json(
                "POST", f"{self.api_base_url}/v1.0/gateway/connections/open", body, None
            )
        except Refused as exc:
            if exc.status in (400, 401, 403):
                raise BadCredentials(
                    exc.status, exc.code, "DingTalk refused dingtalk.client_id / client_secret"
                ) from None
            raise
        return str(answer["endpoint"]), str(answer["ticket"])

    async def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Make one call on the api host with the access token; retry throttling and outages."""
        url = f"{self.api_base_url}{path}"
        for again in (True, False):
            token = await self.token()
            try:
                return await self._json(method, url, body, token)
            except Refused as exc:
                if exc.status == 401 and again:  # the token expired early: fetch a new one once
                    self.forget_token()
                    continue
                raise
        raise AssertionError("unreachable")

    async def upload(self, kind: str, file_name: str, data: bytes, content_type: str) -> str:
        """Upload an image or file to the oapi host; return its media_id."""
        for again in (True, False):
            token = await self.token()
            answer = await self._attempts(
                partial(self._post_form, kind, token, file_name, data, content_type)
            )
            code = int(answer.get("errcode") or 0)
            if code == 0:
                return str(answer["media_id"])
            if code in OAPI_TOKEN_CODES and again:
                self.forget_token()
                continue
            raise Refused(200, str(code), str(answer.get("errmsg") or ""))
        raise AssertionError("unreachable")

    def _post_form(self, kind: str, token: str, file_name: str, data: bytes, content_type: str) -> Any:
        """Start one multipart upload request (a fresh form each try: a form is read once)."""
        form = aiohttp.FormData()
        form.add_field("media", data, filename=file_name, content_type=content_type)
        url = f"{self.oapi_base_url}/media/upload"
        return self.http.post(url, params={"access_token": token, "type": kind}, data=form)

    async def download(self, url: str, limit: int) -> bytes:
        """Fetch a file from a download URL DingTalk handed out (not an API call); refuse more than `limit` bytes."""
        for attempt in range(ATTEMPTS):
            try:
                async with self.http.get(url) as response:
                    if response.status >= 400:
                        raise Refused(response.status, str(response.status), "file download refused")
                    if response.content_length is not None and response.content_length > limit:
                        raise FileTooLarge(f"{response.content_length} bytes")
                    data = await response.content.read(limit + 1)
                    if len(data) > limit:
                        raise FileTooLarge(f"more than {limit} bytes")
                    return data
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt == ATTEMPTS - 1:
                    raise Unavailable(0, type(exc).__name__, "file download failed") from None
                await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    async def _json(self, method: str, url: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["x-acs-dingtalk-access-token"] = token
        payload = json.dumps(body, ensure_ascii=False).encode()
        return await self._attempts(lambda: self.http.request(method, url, data=payload, headers=headers))

    async def _attempts(self, send: Callable[[], Any]) -> dict[str, Any]:
        """Send a request (a fresh one per try), counting each; retry throttling, 5xx and network errors."""
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            self._on_call()
            try:
                async with send() as response:
                    status = response.status
                    text = await response.text()
            except (aiohttp.ClientError, TimeoutError) as exc:
                if last:
                    raise Unavailable(0, type(exc).__name__, "DingTalk could not be reached") from None
                self.retries += 1
                await asyncio.sleep(_backoff(attempt))
                continue
            try:
                answer = json.loads(text) if text else {}
            except ValueError:
                answer = {}
            if not isinstance(answer, dict):
                answer = {"result": answer}
            if status < 300:
                code = answer.get("errcode")
                if isinstance(code, int) and code in OAPI_RETRY_CODES and not last:
                    self.retries += 1
                    await asyncio.sleep(_backoff(attempt))
                    continue
                return answer
            code = str(answer.get("code") or status)
            message = str(answer.get("message") or "")
            if _throttled(status, code) or status >= 500:
                if last:
                    raise Unavailable(status, code, message)
                self.retries += 1
                wait = _backoff(attempt)
                logger.info("DingTalk answered %s %s; retrying in %.1fs", status, code, wait)
                await asyncio.sleep(wait)
                continue
            raise Refused(status, code, message)
        raise AssertionError("unreachable")


class FileTooLarge(ValueError):
    """The attachment is larger than the bot accepts."""


def _backoff(attempt: int) -> float:
    """Return the wait before try `attempt + 1`: 0.25 s doubling, with jitter, at most 8 s."""
    return min(0.25 * 2.0**attempt, 8.0) * random.uniform(0.75, 1.25)
