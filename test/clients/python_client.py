"""Drives the gateway with the official Python MCP SDK client (mcp 2.x) and prints what it saw as JSON.

Usage: python_client.py URL MODE   (MODE: legacy, 2026-07-28 or auto)"""
import asyncio
import json
import sys

from mcp import types
from mcp.client.client import Client


async def sampling(context, params):
    return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="python sample"), model="test")


def first_text(result):
    return result.content[0].text if result.content else ""


async def main(url, mode):
    async with Client(url, mode=mode, sampling_callback=sampling) as client:
        tools = await client.list_tools()
        out = {
            "protocolVersion": client.protocol_version,
            "tools": sorted(t.name for t in tools.tools),
            "echo": first_text(await client.call_tool("echo", {"text": "from python"})),
            "apiKey": first_text(await client.call_tool("get_env", {"name": "API_KEY"})),
        }
        # Legacy: a sampling request on the session; 2026-07-28: an InputRequiredResult and a retry (MRTR).
        out["sample"] = first_text(await client.call_tool("sample", {}))
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
