"""Benchmark: how `himaya serve --workers 2` spreads a burst of keep-alive connections over its workers.

    .venv/bin/python bench/serve_balance.py [--connections 100] [--runs 3]

Starts the service on a fresh SQLite store, opens `--connections` keep-alive connections at once
(each sends one request), then counts the established connections each worker process holds
(`ss -tnp`). The service accepts each connection and hands it to its workers in turn (`himaya
serve`); before that the workers shared the listening socket, and ten connections landed as [10],
[1, 9] or [2, 8] in most runs. An even spread means no worker idles while another queues.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _himaya(*args: str) -> list[str]:
    return [sys.executable, "-m", "himaya.cli.main", *args]


async def spread(url: str, connections: int) -> list[int]:
    port = _free_port()
    env = {**os.environ, "HIMAYA_DATABASE_URL": url}
    server = subprocess.Popen(
        _himaya("serve", "--workers", "2", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/openapi.json")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(1)  # both workers up
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits) as client:
            await asyncio.gather(*(client.get(f"{base}/auth/me") for _ in range(connections)))
            listed = subprocess.run(
                ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
    finally:
        server.terminate()
        server.wait()
    return sorted(collections.Counter(re.findall(r"pid=(\d+)", listed)).values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'himaya.db'}"
        subprocess.run(_himaya("db", "upgrade"), env={**os.environ, "HIMAYA_DATABASE_URL": url}, check=True)
        for run in range(options.runs):
            counts = asyncio.run(spread(url, options.connections))
            print(f"run {run + 1}: {options.connections} connections, per worker: {counts}")


if __name__ == "__main__":
    main()
