"""Issue 12 over real HTTP (items 8, 9, 14, 16): `himaya serve` as a process, attacked from this machine."""

from __future__ import annotations

import errno
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from himaya.cli.main import app
from himaya.db.tables import login_attempt
from tests.cli.test_service_commands import _free_port, _wait_for, running, store

__all__ = ["store"]  # the fixture: a migrated SQLite store named by HIMAYA_DATABASE_URL


def _user(name: str) -> str:
    created = CliRunner().invoke(
        app, ["users", "create", name, "--role", "auditor", "--branch", "all", "--generate-password"]
    )
    assert created.exit_code == 0, created.stderr
    return str(created.stdout.split("password (shown once): ")[1].split()[0])


@contextmanager
def served(store: str, *extra: str, **env: str) -> Iterator[str]:
    port = _free_port()
    with running(
        ["serve", "--port", str(port), *extra], {**os.environ, "HIMAYA_DATABASE_URL": store, **env}, r"Himaya API on"
    ):
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        yield base


def _login(base: str, name: str, password: str, **headers: str) -> httpx.Response:
    data = {"grant_type": "password", "username": name, "password": password}
    return httpx.post(f"{base}/auth/token", data=data, headers=headers)


def _addresses(store: str, name: str) -> set[str]:
    engine = create_engine(store)
    with engine.connect() as connection:
        found = set(
            connection.execute(select(login_attempt.c.address).where(login_attempt.c.username == name)).scalars()
        )
    engine.dispose()
    return found


def test_another_process_cannot_share_the_port(store: str) -> None:
    with served(store, "--workers", "2") as base:
        port = int(base.rsplit(":", 1)[1])
        for reuse_port in (True, False):
            intruder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            with pytest.raises(OSError) as refused:
                intruder.bind(("127.0.0.1", port))
                intruder.listen()
            intruder.close()
            assert refused.value.errno == errno.EADDRINUSE
        # ...and both workers answer on the one socket.
        assert {httpx.get(f"{base}/openapi.json").status_code for _ in range(20)} == {200}


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(store: str) -> None:
    password = _user("xff.target")
    with served(store) as base:
        spoofed = [
            _login(base, "xff.target", "wrong-password-77", **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(6)
        ]
        assert [r.status_code for r in spoofed] == [401] * 5 + [429]  # one address, whatever it claims
        assert _addresses(store, "xff.target") == {"127.0.0.1"}  # the spoofed addresses are not stored
        answer = httpx.get(f"{base}/auth/me", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in answer.headers
    with served(store, HIMAYA_TRUSTED_PROXIES="127.0.0.1") as base:
        # Behind a configured proxy, the address it forwards is the client's.
        assert _login(base, "xff.target", password, **{"X-Forwarded-For": "198.51.100.23"}).status_code == 200
        assert "198.51.100.23" in _addresses(store, "xff.target")
        answer = httpx.get(f"{base}/auth/me", headers={"X-Forwarded-Proto": "https"})
        assert "max-age=" in answer.headers["strict-transport-security"]  # TLS ends at the proxy


def test_users_unlock_at_the_command_line(store: str) -> None:
    password = _user("cli.unlock")
    with served(store) as base:
        assert [_login(base, "cli.unlock", "wrong-password-77").status_code for _ in range(6)] == [401] * 5 + [429]
        unlocked = CliRunner().invoke(app, ["users", "unlock", "cli.unlock"])
        assert unlocked.exit_code == 0, unlocked.stderr
        assert "user cli.unlock: unlocked (5 failed logins forgotten)" in unlocked.stdout
        assert _login(base, "cli.unlock", password).status_code == 200
    unknown = CliRunner().invoke(app, ["users", "unlock", "nobody.here"])
    assert unknown.exit_code == 3 and "no user 'nobody.here'" in unknown.stderr


def _answer(connection: socket.socket, timeout: float = 10) -> bytes:
    connection.settimeout(timeout)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def test_a_200_megabyte_body_is_refused_unread(store: str) -> None:
    with served(store) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(
                b"POST /no/such/path HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n" + b"x" * 65536
            )
            started = time.monotonic()
            head = _answer(connection)
            assert head.startswith(b"HTTP/1.1 413"), head[:200]
            assert time.monotonic() - started < 5
        # Without a declared length (chunked), refused once the limit is passed.
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(b"POST /no/such/path HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
            sent = 0
            try:
                for _ in range(3200):  # 200 MB if the server kept reading
                    connection.sendall(chunk)
                    sent += 1
            except OSError:
                pass  # the server closed the connection: what it should do
            assert sent < 3200
            assert _answer(connection).startswith(b"HTTP/1.1 413")
        server_headers = httpx.get(f"{base}/auth/me").headers
        assert "server" not in server_headers and server_headers["x-content-type-options"] == "nosniff"


def _held(workers: list[psutil.Process], port: int) -> list[int]:
    """The open connections each worker holds on the service's port, in the workers' order."""
    return [
        sum(1 for c in w.net_connections(kind="tcp") if c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)
        for w in workers
    ]


def _keep_alive(port: int, count: int, timeout: float = 10) -> list[socket.socket]:
    """`count` connections, each answered once and kept open."""
    opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for connection in opened:
        connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
    for connection in opened:
        assert _answer(connection, timeout).startswith(b"HTTP/1.1 200")
    return opened


def test_two_workers_share_a_burst_of_keep_alive_connections_and_one_left_serves_them_all(store: str) -> None:
    """Workers sharing the listening socket took a burst of keep-alive connections unevenly (all
    ten on one worker in most runs), so that one queued while the other idled: now the service
    hands them out in turn. A worker killed leaves the others to take every new connection."""
    port = _free_port()
    env = {**os.environ, "HIMAYA_DATABASE_URL": store}
    with running(["serve", "--port", str(port), "--workers", "2"], env, r"Himaya API on") as (process, _):
        _wait_for(f"http://127.0.0.1:{port}")
        workers = [p for p in psutil.Process(process.pid).children() if "multiprocessing" in " ".join(p.cmdline())]
        workers = [w for w in workers if "resource_tracker" not in " ".join(w.cmdline())]
        assert len(workers) == 2
        for connection in _keep_alive(port, 2, timeout=120):  # one each: a worker may still be starting
            connection.close()
        first = _keep_alive(port, 10)
        time.sleep(0.2)
        assert sorted(_held(workers, port)) == [5, 5]
        for connection in first:
            connection.close()
        workers[0].kill()
        for _ in range(300):  # dead, every thread ended (its connections closed with the last one)
            try:
                if workers[0].status() == psutil.STATUS_ZOMBIE and workers[0].num_threads() <= 1:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.1)
        again = _keep_alive(port, 6)  # the first may go to the dead worker's channel: handed to the other
        time.sleep(0.2)
        assert _held(workers[1:], port) == [6]
        for connection in again:
            connection.close()


def test_connections_past_the_descriptors_left_neither_stop_the_service_nor_its_workers(store: str) -> None:
    """An attacker opens more connections than the processes have file descriptors (here 60 each):
    those past the limit are dropped, and once they close the service answers again, both workers
    alive (a worker that got a connection without its descriptor took it for its parent's end)."""
    port = _free_port()

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (60, 60))

    process = subprocess.Popen(
        [sys.executable, "-m", "himaya.cli.main", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "HIMAYA_DATABASE_URL": store},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=few_descriptors,  # noqa: PLW1509  (a limit for the child alone, set before it runs)
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        for connection in _keep_alive(port, 2, timeout=120):  # one each: a worker may still be starting
            connection.close()
        flood = []
        for _ in range(150):
            try:
                flood.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        time.sleep(1)
        for connection in flood:
            connection.close()
        time.sleep(1)
        assert [httpx.get(f"{base}/openapi.json").status_code for _ in range(6)] == [200] * 6
        workers = [p for p in psutil.Process(process.pid).children() if "spawn_main" in " ".join(p.cmdline())]
        assert len([w for w in workers if w.status() != psutil.STATUS_ZOMBIE]) == 2
    finally:
        process.terminate()
        process.wait(timeout=30)
