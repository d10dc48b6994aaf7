"""Drive an MCP server with the official Python SDK (PyPI `mcp`) from a JSON script.

Usage: python mcp_client.py < script.json > result.json

Script (JSON object):
  transport   "stdio" | "http"
  command     stdio: program to spawn;      args: list of its arguments (default [])
  env         stdio: extra environment for the server (merged over the SDK's default)
  cwd         stdio: working directory (optional)
  url         http: endpoint URL, e.g. http://127.0.0.1:PORT/mcp
  headers     http: extra request headers, e.g. {"Authorization": "Bearer TOKEN"}
  oauth       http: {"redirect_uri": URI} to authorize with the SDK's OAuth client (see
              oauth_flow.py); the result gets "oauth": {authorization_urls, token_scope, client_id}
  mode        "auto" (2026-07-28 discover, fallback to handshake) | "legacy" (2025-11-25 initialize)
  timeout_s   per-request read timeout in seconds (default 60)
  ops         list of operations, each {"op": NAME, ...}:
                list_tools | list_prompts | list_resources | list_resource_templates
                get_prompt {name, args}
                call_tool {name, args, progress?, timeout_s?, cancel_on_progress?}
                  progress: true sends a progress token; the entry gets "progress":
                    [{"progress", "total", "message"}] in arrival order
                  timeout_s: this call's read timeout (overrides the script's)
                  cancel_on_progress: a substring; when a progress message contains it the
                    call is cancelled (the SDK sends notifications/cancelled) and the entry
                    gets "cancelled": true instead of a result
                sleep {seconds}
                wait_processes_gone {dir, timeout_s}: polls /proc until no live process has its
                  working directory under dir, or timeout_s passes; result {"left": [cmdlines]}
                read_resource {uri}

Result (one JSON document on stdout):
  {"server_info": {...} | null, "protocol_version": "...", "instructions": "..." | null,
   "capabilities": {...}, "results": [{"op": NAME, "result": {...}} | {"op": NAME, "error": {...}}]}
A tool error (isError: true) is a normal result; a JSON-RPC error becomes {"error": {"code", "message", "data"}}.
If the connection itself fails, the process prints {"fatal": "..."} and exits 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from typing import Any

import httpx2
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client


def dump(model: Any) -> Any:
    """Pydantic model → JSON-ready dict with the wire field names."""
    if model is None:
        return None
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def make_client(script: dict[str, Any], http: httpx2.AsyncClient | None) -> Client:
    mode = script.get("mode", "auto")
    timeout = float(script.get("timeout_s", 60))
    transport = script["transport"]
    if transport == "stdio":
        params = StdioServerParameters(
            command=script["command"],
            args=list(script.get("args", [])),
            env=script.get("env"),
            cwd=script.get("cwd"),
        )
        return Client(params, mode=mode, read_timeout_seconds=timeout, cache=None)
    if transport == "http":
        assert http is not None
        return Client(
            streamable_http_client(script["url"], http_client=http),
            mode=mode,
            read_timeout_seconds=timeout,
            # Every call must reach the server: the tests look at what it answers.
            cache=None,
        )
    raise ValueError(f"unknown transport {transport!r} (expected 'stdio' or 'http')")


async def call_tool_with_progress(client: Client, op: dict[str, Any], entry: dict[str, Any]) -> Any:
    """`call_tool` with a progress token (and optional cancellation on a progress message)."""
    seen: list[dict[str, Any]] = []
    entry["progress"] = seen
    trigger = op.get("cancel_on_progress")
    hit = asyncio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append({"progress": progress, "total": total, "message": message})
        if trigger is not None and message is not None and trigger in message:
            hit.set()

    timeout = op.get("timeout_s")
    call = asyncio.ensure_future(
        client.call_tool(
            op["name"],
            op.get("args"),
            read_timeout_seconds=float(timeout) if timeout is not None else None,
            progress_callback=on_progress if op.get("progress") or trigger else None,
        )
    )
    if trigger is None:
        return dump(await call)
    waiter = asyncio.ensure_future(hit.wait())
    done, _ = await asyncio.wait({call, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if call in done:
        waiter.cancel()
        return dump(call.result())
    call.cancel()
    try:
        await call
    except asyncio.CancelledError:
        pass
    entry["cancelled"] = True
    return None


def processes_under(root: str) -> list[str]:
    """Command lines of live (not zombie) processes whose working directory is under root."""
    root = os.path.realpath(root)
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
        if (cwd == root or cwd.startswith(root + os.sep)) and state not in ("Z", "X"):
            found.append(f"{pid} {cmdline}")
    return found


async def wait_processes_gone(root: str, timeout: float) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    left = processes_under(root)
    while left and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        left = processes_under(root)
    return {"left": left}


async def run_op(client: Client, op: dict[str, Any], entry: dict[str, Any]) -> Any:
    name = op["op"]
    if name == "call_tool" and (
        op.get("progress") or op.get("timeout_s") is not None or op.get("cancel_on_progress")
    ):
        return await call_tool_with_progress(client, op, entry)
    if name == "sleep":
        await asyncio.sleep(float(op["seconds"]))
        return {}
    if name == "wait_processes_gone":
        return await wait_processes_gone(op["dir"], float(op.get("timeout_s", 30)))
    if name == "list_tools":
        return dump(await client.list_tools())
    if name == "list_prompts":
        return dump(await client.list_prompts())
    if name == "list_resources":
        return dump(await client.list_resources())
    if name == "list_resource_templates":
        return dump(await client.list_resource_templates())
    if name == "get_prompt":
        return dump(await client.get_prompt(op["name"], op.get("args")))
    if name == "call_tool":
        return dump(await client.call_tool(op["name"], op.get("args")))
    if name == "read_resource":
        return dump(await client.read_resource(op["uri"]))
    raise ValueError(f"unknown op {name!r}")


async def run(script: dict[str, Any]) -> dict[str, Any]:
    http = None
    oauth = None
    if script["transport"] == "http":
        timeout = float(script.get("timeout_s", 60))
        auth = None
        if "oauth" in script:
            import oauth_flow

            oauth = oauth_flow.provider(script["url"], script["oauth"])
            auth = oauth[0]
        http = httpx2.AsyncClient(
            headers=dict(script.get("headers", {})),
            timeout=httpx2.Timeout(timeout),
            auth=auth,
        )
    try:
        async with make_client(script, http) as client:
            results = []
            for op in script.get("ops", []):
                entry: dict[str, Any] = {"op": op["op"]}
                try:
                    entry["result"] = await run_op(client, op, entry)
                except MCPError as e:
                    entry["error"] = {"code": e.code, "message": e.message, "data": e.error.data}
                results.append(entry)
            extra = {"oauth": oauth_flow_report(oauth)} if oauth else {}
            return {
                **extra,
                "server_info": dump(client.server_info),
                "protocol_version": client.protocol_version,
                "instructions": client.instructions,
                "capabilities": dump(client.server_capabilities),
                "results": results,
            }
    finally:
        if http is not None:
            await http.aclose()


def oauth_flow_report(oauth: Any) -> dict[str, Any]:
    import oauth_flow

    return oauth_flow.report(oauth[1], oauth[2])


def leaves(e: BaseException) -> list[BaseException]:
    """The real errors inside (nested) exception groups."""
    if isinstance(e, BaseExceptionGroup):
        return [leaf for inner in e.exceptions for leaf in leaves(inner)]
    return [e]


def describe(e: BaseException) -> str:
    if isinstance(e, MCPError):
        return f"MCPError {e.code}: {e.message}"
    return f"{type(e).__name__}: {e}"


def main() -> int:
    script = json.load(sys.stdin)
    try:
        result = asyncio.run(run(script))
    except BaseException as e:  # noqa: BLE001 - report anything, including exception groups
        traceback.print_exc(file=sys.stderr)
        print(json.dumps({"fatal": "; ".join(describe(leaf) for leaf in leaves(e))}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
