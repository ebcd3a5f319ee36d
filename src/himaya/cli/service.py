"""`himaya serve`: the HTTP API on the configured database."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
from typing import Annotated

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
        processes = [context.Process(target=serve_one, args=(listener,), daemon=True) for _ in range(workers)]
        for process in processes:
            process.start()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a stopped service stops its workers too
        try:
            for process in processes:
                process.join()
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


def serve_one(listener: socket.socket) -> None:
    """One worker process: the application on the shared socket."""
    import uvicorn  # noqa: PLC0415  (only `serve` needs it: every other command starts faster without)

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
    uvicorn.Server(config).run(sockets=[listener])
