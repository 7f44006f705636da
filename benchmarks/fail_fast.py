"""Time to failure of a real-API comparison pointed at an endpoint that is wrong in the
ordinary ways: a refused port, an unknown host, a wrong key (HTTP 401).

Each case runs the quick start with the reference swapped for ``openai/gpt-4o`` in a fresh
process, exactly as a user would type it, and prints the wall-clock seconds until the
command exits, its exit status and the length of its error output.  ``--no-preflight``
times the sampling path instead (the connect breaker and the grouped failure message,
without the one-request check).  The wrong-key server is a loopback HTTP server started
here; nothing leaves the machine except one DNS query for a name under ``.invalid``.

    python benchmarks/fail_fast.py
    python benchmarks/fail_fast.py --no-preflight
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Unauthorized(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("content-length", "0")))
        body = json.dumps({"error": {"message": "Incorrect API key provided",
                                     "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _time(base_url: str, extra: list[str]) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, OPENAI_BASE_URL=base_url,
                   OPENAI_API_KEY="sk-benchmark-not-a-real-key-0000")
        cmd = [sys.executable, "-m", "fingerprint", "compare", "--ref", "openai/gpt-4o",
               "--suspect", "zoo/student-100", "--control", "zoo/independent-a",
               "--out", str(Path(tmp) / "run"), "--store", str(Path(tmp) / "store.sqlite"),
               "--no-progress", *extra]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        return time.perf_counter() - t0, done.returncode, done.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-preflight", action="store_true",
                        help="time the sampling path (breaker, grouped failures) instead")
    parser.add_argument("--show", action="store_true", help="print each error line too")
    args = parser.parse_args()
    extra = ["--no-preflight"] if args.no_preflight else []
    # Organisms are built (and cached) on first use; do that outside the timings.
    subprocess.run([sys.executable, "-m", "fingerprint", "zoo", "build", "student-100",
                    "independent-a"], capture_output=True, check=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cases = [("refused port", f"http://127.0.0.1:{_closed_port()}/v1"),
             ("unknown host", "https://no-such-host.invalid/v1"),
             ("wrong key (401)", f"http://127.0.0.1:{server.server_address[1]}/v1")]
    print(f"mode: {'no preflight (sampling path)' if args.no_preflight else 'preflight'}")
    print(f"{'case':<18}{'seconds':>9}{'exit':>6}{'error lines':>13}{'error chars':>13}")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fingerprint", "--version"], capture_output=True)
    print(f"{'(start + import)':<18}{time.perf_counter() - t0:>9.2f}")
    try:
        for name, url in cases:
            seconds, code, err = _time(url, extra)
            print(f"{name:<18}{seconds:>9.2f}{code:>6}{len(err.splitlines()):>13}"
                  f"{len(err):>13}")
            if args.show:
                print(f"  {err}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
