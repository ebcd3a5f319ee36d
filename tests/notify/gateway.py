"""A tiny SMS gateway for the tests, run as its own process: `python tests/notify/gateway.py LOG [options]`.

It prints its port on the first line of its output, then appends one JSON line to LOG for every
request it answers or holds: `{"key", "to", "text", "duplicate"}`. Like a real gateway it
de-duplicates by the Idempotency-Key header: a key it has taken already is answered 200 again and
logged with `"duplicate": true` (the handset sees it once).

--stall-on N    the N-th new message is taken (logged), then its answer never comes (60 s): a sender
                killed meanwhile does not know whether it got through
--fail-first N  the first N requests are answered 503 without taking the message
--refuse TO     messages to this number are answered 422 (a bad number)
--delay S       wait S seconds before answering each request (two senders overlap)
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKEN = "test-token"


def serve(log: Path, options: argparse.Namespace) -> None:
    taken: set[str] = set()
    lock = threading.Lock()
    requests = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers.get("Idempotency-Key", "")
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"error": "bad token"})
                return
            time.sleep(options.delay)
            with lock:
                requests[0] += 1
                if requests[0] <= options.fail_first:
                    self._answer(503, {"error": "busy"})
                    return
                if message["to"] == options.refuse:
                    self._answer(422, {"error": f"not a mobile number: {message['to']}"})
                    return
                duplicate = key in taken
                taken.add(key)
                with log.open("a", encoding="utf-8") as file:
                    file.write(
                        json.dumps({"key": key, "to": message["to"], "text": message["text"], "duplicate": duplicate})
                        + "\n"
                    )
                stall = not duplicate and len(taken) == options.stall_on
            if stall:
                time.sleep(60)
            self._answer(200, {"id": key, "duplicate": duplicate})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("log", type=Path)
    parser.add_argument("--stall-on", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--refuse", default=None)
    parser.add_argument("--delay", type=float, default=0.0)
    arguments = parser.parse_args()
    serve(arguments.log, arguments)
