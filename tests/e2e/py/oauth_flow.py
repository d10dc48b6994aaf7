"""The SDK's OAuth client (`mcp.client.auth.OAuthClientProvider`) with a programmatic
browser: the authorization URL the SDK hands to `redirect_handler` is fetched without following
redirects (the test issuer approves at once and answers 302 to the redirect URI), and the
`code`, `state` and `iss` of that redirect are what `callback_handler` returns. Everything else
(discovery from the 401, protected-resource and authorization-server metadata, dynamic client
registration, PKCE, the token request with `resource`, step-up on 403) is the SDK's own flow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Browser:
    """Visits the authorization URL and keeps what the redirect carried."""

    def __init__(self) -> None:
        self.visited: list[str] = []
        self.pending: AuthorizationCodeResult | None = None

    async def redirect(self, authorization_url: str) -> None:
        self.visited.append(authorization_url)
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            resp = await http.get(authorization_url)
        if resp.status_code != 302:
            raise RuntimeError(f"authorization endpoint answered {resp.status_code}: {resp.text}")
        query = parse_qs(urlparse(resp.headers["location"]).query)
        self.pending = AuthorizationCodeResult(
            code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0]
        )

    async def callback(self) -> AuthorizationCodeResult:
        assert self.pending is not None, "callback before redirect"
        result, self.pending = self.pending, None
        return result


def provider(url: str, options: dict[str, Any]) -> tuple[OAuthClientProvider, Browser, MemoryStorage]:
    browser = Browser()
    storage = MemoryStorage()
    metadata = OAuthClientMetadata(
        client_name="e2e-oauth-client",
        redirect_uris=[options.get("redirect_uri", "http://127.0.0.1:9/callback")],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    auth = OAuthClientProvider(
        server_url=url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )
    return auth, browser, storage


def report(browser: Browser, storage: MemoryStorage) -> dict[str, Any]:
    return {
        "authorization_urls": browser.visited,
        "token_scope": storage.tokens.scope if storage.tokens else None,
        "client_id": storage.client_info.client_id if storage.client_info else None,
    }
