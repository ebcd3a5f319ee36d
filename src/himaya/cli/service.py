"""`himaya serve`: the HTTP API on the configured database."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import sys
import time
from functools import partial
from typing import Annotated, Any

import typer

from himaya import bootstrap
from himaya.cli.app import app, out, reported
from himaya.core.errors import UsageError


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65_535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option("--workers", min=0, max=1024, help="Worker processes (one per core is a good start)."),
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI documentation at /docs) on the configured database."""
    with reported():
        if workers < 1:
            raise UsageError("--workers must be at least 1")
        bootstrap.registry_engine()  # refuse an unmigrated store before listening
        listener = listen(host, port)
        out.print(f"Himaya API on http://{host}:{port} (documentation: http://{host}:{port}/docs); Ctrl-C stops it")
        if workers == 1:
            serve_one(listener)
            return
        os.environ.setdefault("POLARS_MAX_THREADS", "1")  # a process per core: no thread pools fighting
        context = multiprocessing.get_context("spawn")
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(workers)]
        processes = [context.Process(target=serve_handed, args=(theirs,), daemon=True) for _, theirs in pairs]
        for process in processes:
            process.start()
        for _, theirs in pairs:
            theirs.close()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a stopped service stops its workers too
        try:
            hand_out(listener, [(ours, process) for (ours, _), process in zip(pairs, processes, strict=True)])
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            for process in processes:
                process.terminate()


def listen(host: str, port: int) -> socket.socket:
    """The one listening socket, made here and handed to every worker.

    Never SO_REUSEPORT: with it, any other process of the same user may bind the same port and the
    kernel hands it a share of the connections (logins and passwords included). Without it the
    port is this service's alone. SO_REUSEADDR only lets a restart bind while old connections linger."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def hand_out(listener: socket.socket, workers: list[tuple[socket.socket, Any]]) -> None:
    """Accept each connection here and hand it to the living workers in turn (its descriptor sent
    over the worker's channel), until none is left. Workers sharing the listening socket spread a
    burst of keep-alive connections unevenly (whichever woke first took most of them, often all:
    `bench/serve_balance.py`), so that one worker queued while the other idled."""
    turn = 0
    while workers:
        try:
            connection, _ = listener.accept()
        except OSError:  # reset before it was accepted, or no descriptor free for a moment: go on
            time.sleep(0.01)
            continue
        with connection:
            while workers:
                channel, process = workers[turn % len(workers)]
                turn += 1
                try:
                    # A worker killed takes what is handed to it until its last thread has ended
                    # (then its channel is closed and it is reaped): those connections are lost,
                    # as those it was serving are.
                    if process.is_alive():
                        socket.send_fds(channel, [b"c"], [connection.fileno()])
                        break
                except OSError:
                    pass
                workers.remove((channel, process))  # gone: the others take its share


def serve_handed(channel: socket.socket) -> None:
    """One worker process: the application on the connections the parent hands over."""
    import uvicorn  # noqa: PLC0415

    taking: set[asyncio.Task[Any]] = set()

    class Handed(uvicorn.Server):
        """uvicorn's server, listening on no socket of its own: it serves each connection that
        arrives on `channel` (with uvicorn's own protocol, as a connection it accepted)."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[])
            loop = asyncio.get_running_loop()
            channel.setblocking(False)
            loop.add_reader(channel.fileno(), self._take, loop)

        def _take(self, loop: asyncio.AbstractEventLoop) -> None:
            try:
                data, descriptors, _, _ = socket.recv_fds(channel, 1, 8)
            except OSError:  # nothing there after all, or no descriptor free: the next one
                return
            if not data:  # the parent has gone: stop as on a signal
                loop.remove_reader(channel.fileno())
                self.should_exit = True
                return
            # With no descriptor free here, the kernel closes the connection and hands none over.
            made: Any = self.config.http_protocol_class  # as uvicorn's own startup makes it
            protocol = partial(made, config=self.config, server_state=self.server_state, app_state=self.lifespan.state)
            for descriptor in descriptors:
                connection = socket.socket(fileno=descriptor)
                connection.setblocking(False)
                task = loop.create_task(loop.connect_accepted_socket(protocol, connection))
                taking.add(task)  # held until done: the loop keeps only a weak reference to a task
                task.add_done_callback(taking.discard)

    _serve(Handed, [])


def serve_one(listener: socket.socket) -> None:
    """The one worker process: the application on the listening socket."""
    import uvicorn  # noqa: PLC0415  (only `serve` needs it: every other command starts faster without)

    _serve(uvicorn.Server, [listener])


def _serve(server: Any, sockets: list[socket.socket]) -> None:
    import uvicorn  # noqa: PLC0415

    # A thread waiting for the interpreter lock waits up to the switch interval (5 ms by default)
    # after each database answer; the audit chain's lock is held across several answers, so every
    # such wait would hold up every other request's audit entry too.
    sys.setswitchinterval(0.0005)
    proxies = list(bootstrap.settings().trusted_proxies)
    config = uvicorn.Config(
        "himaya.service:create_app",
        factory=True,
        log_level="warning",
        server_header=False,  # no "server: uvicorn": nothing to look up vulnerabilities by
        # X-Forwarded-For / -Proto only from the proxies named in HIMAYA_TRUSTED_PROXIES (uvicorn
        # would otherwise believe any local process); without any, the peer's own address counts.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    server(config).run(sockets=sockets)
