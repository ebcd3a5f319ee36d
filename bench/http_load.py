"""A light HTTP load generator for the service benchmarks (bench/api.py, bench/cases.py).

Each client keeps one HTTP/1.1 connection and is paced (one request every `interval` seconds,
timed from the moment it was due, so that a slow server cannot hide its queue: no coordinated
omission) or flat out (the next request as soon as the last is answered)."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection, as a client that costs little CPU: the load generator
    shares the machine with the server, and a full client library would take a good part of it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, credential: str) -> None:
        self.reader, self.writer, self.credential = reader, writer, credential

    @classmethod
    async def open(cls, port: int, credential: str) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, credential)

    async def get(self, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.credential}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return status


@dataclass(frozen=True)
class Load:
    """The result of one load: latencies in seconds, sorted; errors are answers other than 200."""

    latencies: list[float]
    errors: int
    elapsed: float

    def percentile(self, q: float) -> float:
        """Milliseconds."""
        return self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))] * 1000

    def line(self, name: str) -> str:
        count = len(self.latencies)
        return (
            f"{name}: {count:,} requests in {self.elapsed:.1f} s ({count / self.elapsed:,.0f}/s), "
            f"{self.errors} errors; latency p50 {self.percentile(0.50):.1f} ms, p90 {self.percentile(0.90):.1f} ms, "
            f"p99 {self.percentile(0.99):.1f} ms, max {self.latencies[-1] * 1000:.1f} ms"
        )


async def run_load(
    port: int,
    token: str,
    path: Callable[[random.Random], str],
    clients: int,
    seconds: float,
    interval: float | None,
    cookie: str | None = None,
) -> Load:
    """`clients` connections asking for `path(rng)` for `seconds`, paced every `interval` seconds
    per client, or flat out when `interval` is None; with a bearer `token`, or as the web
    session whose `cookie` ("name=value") is given."""
    credential = f"Cookie: {cookie}" if cookie else f"Authorization: Bearer {token}"
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        rng = random.Random(number)
        connection = await Connection.open(port, credential)
        due = time.perf_counter() + rng.uniform(0, interval or 0)
        while due < deadline:
            if interval is not None:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            start = due if interval is not None else time.perf_counter()
            status = await connection.get(path(rng))
            latencies.append(time.perf_counter() - start)
            errors += status != 200
            due = due + interval if interval is not None else time.perf_counter()
        connection.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return Load(sorted(latencies), errors, time.perf_counter() - started)
