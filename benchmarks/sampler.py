"""Sampler throughput against a fixed-latency OpenAI-compatible server on loopback.

For each concurrency limit c, the whole path is timed (runner → provider → HTTP → store)
while the server answers every request after exactly ``latency`` seconds.  The ideal rate
is c / latency requests per second; the table shows achieved ÷ ideal, i.e. how much of
the concurrency the sampler turns into throughput.

    python benchmarks/sampler.py --latency 0.05 --concurrency 1 2 4 8 16 32 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fingerprint.collect.runner import Target, collect  # noqa: E402
from fingerprint.collect.store import Store  # noqa: E402
from fingerprint.models import parse_spec  # noqa: E402
from fingerprint.models.registry import get_provider  # noqa: E402
from fingerprint.suite import Probe  # noqa: E402


class FixedLatencyServer:
    """HTTP/1.1 keep-alive server (asyncio, own thread) answering chat completions."""

    def __init__(self, latency: float):
        self.latency = latency
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                await asyncio.sleep(self.latency)
                self.requests += 1
                n = int(body.get("n", 1))
                payload = json.dumps({
                    "id": f"chatcmpl-{self.requests}", "object": "chat.completion",
                    "created": 0, "model": body.get("model"), "system_fingerprint": "fp_bench",
                    "choices": [{"index": k, "message": {"role": "assistant", "content": "ok"},
                                 "finish_reason": "stop"} for k in range(n)],
                    "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n},
                }).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: " + str(len(payload)).encode() + b"\r\n\r\n"
                             + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> "FixedLatencyServer":
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


def measure(latency: float, concurrency: int, requests: int) -> dict[str, float]:
    probes = tuple(Probe(id=f"p{i}", family="bench", version=1, rationale="throughput",
                         messages=({"role": "user", "content": f"q{i}"},))
                   for i in range(concurrency))
    per_probe = max(1, requests // concurrency)
    with FixedLatencyServer(latency) as server, tempfile.TemporaryDirectory() as tmp:
        spec = parse_spec("llamacpp/bench", {"base_url": f"http://127.0.0.1:{server.port}/v1",
                                             "max_concurrency": concurrency})
        with Store(Path(tmp) / "bench.sqlite") as store:
            started = time.perf_counter()
            result = collect([Target("bench", get_provider(spec, env={}))], probes,
                             samples=per_probe, seed=0, store=store)
            wall = time.perf_counter() - started
    achieved = result.requests_made / wall
    ideal = concurrency / latency
    return {"concurrency": concurrency, "requests": result.requests_made, "wall_s": wall,
            "achieved_rps": achieved, "ideal_rps": ideal, "efficiency": achieved / ideal}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.05, help="server latency in seconds")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    ap.add_argument("--rounds", type=int, default=8,
                    help="requests per concurrency slot (total = rounds × concurrency)")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    args = ap.parse_args(argv)
    if not args.json:
        print(f"server latency {args.latency * 1000:.0f} ms")
        print(f"{'conc':>5} {'requests':>8} {'wall s':>7} {'achieved/s':>10} {'ideal/s':>8} "
              f"{'ach/ideal':>9}")
    for c in args.concurrency:
        row = measure(args.latency, c, args.rounds * c)
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{c:>5} {row['requests']:>8} {row['wall_s']:>7.2f} {row['achieved_rps']:>10.1f} "
                  f"{row['ideal_rps']:>8.1f} {row['efficiency']:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
