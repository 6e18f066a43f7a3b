"""Signs in with OAuth through the official Python MCP SDK (mcp 2.x) and calls a tool, printing JSON lines.

Usage: python_oauth_client.py URL MODE REDIRECT_URI
The SDK discovers the authorization server from the gateway's 401, registers itself and starts PKCE; the
authorization URL is printed as {"authorize": URL}; the test signs in (a browser) and writes the redirect's
{"code": ..., "state": ...} as one line on stdin; the last line printed is what the client saw."""
import asyncio
import json
import sys

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata


class MemoryStorage:
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


async def redirect(url):
    print(json.dumps({"authorize": url}), flush=True)


async def callback():
    line = await asyncio.to_thread(sys.stdin.readline)
    answer = json.loads(line)
    return AuthorizationCodeResult(code=answer["code"], state=answer.get("state"), iss=answer.get("iss"))


async def main(url, mode, redirect_uri):
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="python-oauth-test",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
            application_type="native",
        ),
        storage=MemoryStorage(),
        redirect_handler=redirect,
        callback_handler=callback,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            tools = await client.list_tools()
            echo = await client.call_tool("echo", {"text": "python signed in"})
            out = {
                "tools": sorted(t.name for t in tools.tools),
                "echo": echo.content[0].text if echo.content else "",
            }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
