"""Sampler throughput against a fixed-latency OpenAI-compatible server on loopback.

For each concurrency limit c, the whole path is timed (runner → provider → HTTP → store)
while the server answers every request after exactly ``latency`` seconds.  The ideal rate
is c / latency requests per second; the table shows achieved ÷ ideal, i.e. how much of
the concurrency the sampler turns into throughput.  The server runs in its own process
(a plain asyncio HTTP/1.1 keep-alive server), so it does not compete with the sampler
for the interpreter lock.  ``--baseline`` adds, for comparison, two clients with none
of the sampler's work against the same server: a bare asyncio socket client (the ceiling
this machine allows any Python client) and aiohttp on its own (what the HTTP library the
sampler sends through reaches by itself).

``--prefill N`` instead measures the client's own overhead per sample (planning the work
and storing each answer) with an empty store and with N unrelated samples already in it.

    python benchmarks/sampler.py --latency 0.05 --concurrency 1 8 16 32 64 --baseline --repeat 5
    python benchmarks/sampler.py --prefill 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fingerprint.collect import Target, collect  # noqa: E402
from fingerprint.collect.store import Store, StoredSample  # noqa: E402
from fingerprint.models import parse_spec  # noqa: E402
from fingerprint.models.base import Completion, Provider  # noqa: E402
from fingerprint.models.registry import get_provider  # noqa: E402
from fingerprint.suite import Probe  # noqa: E402


# ---- the server (run as `python sampler.py --serve LATENCY`) ------------------------------

async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  latency: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = json.loads(await reader.readexactly(length)) if length else {}
            await asyncio.sleep(latency)
            n = int(body.get("n", 1))
            payload = json.dumps({
                "id": "chatcmpl-bench", "object": "chat.completion", "created": 0,
                "model": body.get("model"), "system_fingerprint": "fp_bench",
                "choices": [{"index": k, "message": {"role": "assistant", "content": "ok"},
                             "finish_reason": "stop"} for k in range(n)],
                "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n},
            }).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: %d\r\n\r\n%s" % (len(payload), payload))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(latency: float) -> None:
    server = await asyncio.start_server(lambda r, w: _handle(r, w, latency), "127.0.0.1", 0,
                                        backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


class ServerProcess:
    def __init__(self, latency: float):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(latency)],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# ---- the sampler, and a bare-socket client for comparison ---------------------------------

def _probes(count: int, tag: str = "q") -> tuple[Probe, ...]:
    return tuple(Probe(id=f"{tag}{i}", family="bench", version=1, rationale="throughput",
                       messages=({"role": "user", "content": f"{tag}{i}"},))
                 for i in range(count))


def measure(port: int, latency: float, concurrency: int, requests: int) -> dict[str, float]:
    probes = _probes(concurrency)
    per_probe = max(1, requests // concurrency)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.sqlite") as store:
        spec = parse_spec("llamacpp/bench", {"base_url": f"http://127.0.0.1:{port}/v1",
                                             "max_concurrency": concurrency})
        started, cpu = time.perf_counter(), time.process_time()
        result = collect([Target("bench", get_provider(spec, env={}))], probes,
                         samples=per_probe, seed=0, store=store)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    row = _row(concurrency, result.requests_made, wall, latency)
    row["cpu_ms_per_request"] = 1000 * cpu / max(1, result.requests_made)
    return row


async def _bare(port: int, concurrency: int, requests: int) -> float:
    body = json.dumps({"model": "bench", "messages": []}).encode()
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body))
    left = [requests]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while left[0] > 0:
            left[0] -= 1
            writer.write(head + body)
            await writer.drain()
            got = await reader.readuntil(b"\r\n\r\n")
            size = next(int(x[15:]) for x in got.split(b"\r\n")
                        if x[:15].lower() == b"content-length:")
            json.loads(await reader.readexactly(size))
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def _aiohttp_alone(port: int, concurrency: int, requests: int) -> float:
    import aiohttp

    body = {"model": "bench", "messages": [{"role": "user", "content": "q"}]}
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    left = [requests]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                async with s.post(url, json=body) as resp:
                    json.loads(await resp.read())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def _row(concurrency: int, requests: int, wall: float, latency: float) -> dict[str, float]:
    achieved, ideal = requests / wall, concurrency / latency
    return {"concurrency": concurrency, "requests": requests, "wall_s": wall,
            "achieved_rps": achieved, "ideal_rps": ideal, "efficiency": achieved / ideal}


# ---- client overhead versus store size -----------------------------------------------------

class InstantProvider(Provider):
    """Answers at once, so only the sampler's own work (plan, gate, store) is timed."""

    max_n = 1

    async def complete(self, request):
        return [Completion(text="ok", usage={"prompt_tokens": 5, "completion_tokens": 1})]


def overhead(prefill: int, samples: int = 2000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "o.sqlite") as store:
        if prefill:
            rows = [(f"{i:064x}", {"provider": "zoo", "model": "old"},
                     StoredSample(f"{i:064x}", "zoo/old", f"old{i % 500}", 1, i // 500,
                                  {"messages": []}, {"text": "stored earlier " * 8}))
                    for i in range(prefill)]
            for start in range(0, prefill, 5000):
                store.put_many(rows[start:start + 5000], "2025-01-01T00:00:00+00:00")
        probes = _probes(samples // 10, tag="new")
        started = time.perf_counter()
        result = collect([Target("t", InstantProvider(parse_spec("zoo/bench")))], probes,
                         samples=10, seed=0, store=store)
        wall = time.perf_counter() - started
    return {"already_stored": prefill, "samples": result.samples_new,
            "us_per_sample": 1e6 * wall / max(1, result.samples_new)}


def _measure_all(port: int, args: argparse.Namespace, c: int) -> dict[str, float]:
    """The sampler, then (with ``--baseline``) the two bare clients, at concurrency ``c``."""
    total = args.rounds * c
    row = measure(port, args.latency, c, total)
    if args.baseline:
        for name, client in (("bare", _bare), ("aiohttp", _aiohttp_alone)):
            wall = asyncio.run(client(port, c, total))
            row[f"{name}_efficiency"] = _row(c, total, wall, args.latency)["efficiency"]
    return row


def _median_row(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over repeated runs (the machine's noise is the point of repeating)."""
    return {key: float(np.median([r[key] for r in rows])) for key in rows[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.05, help="server latency in seconds")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    ap.add_argument("--rounds", type=int, default=16,
                    help="requests per concurrency slot (total = rounds × concurrency)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each concurrency this many times and print the medians")
    ap.add_argument("--baseline", action="store_true",
                    help="also time a bare asyncio socket client against the same server")
    ap.add_argument("--prefill", type=int, nargs="?", const=50000,
                    help="measure per-sample client overhead with 0 and N samples stored")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    ap.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve is not None:
        asyncio.run(_serve(args.serve))
        return 0
    if args.prefill is not None:
        for n in (0, args.prefill):
            row = overhead(n)
            print(json.dumps(row) if args.json else
                  f"{row['already_stored']:>7} stored: {row['us_per_sample']:.0f} µs per new sample "
                  f"(plan + gate + store, {row['samples']} samples)")
        return 0
    if not args.json:
        print(f"server latency {args.latency * 1000:.0f} ms (separate process)")
        print(f"{'conc':>5} {'requests':>8} {'wall s':>7} {'achieved/s':>10} {'ideal/s':>8} "
              f"{'ach/ideal':>9} {'cpu ms/req':>10}"
              + (f" {'bare/ideal':>10} {'aiohttp/ideal':>13}" if args.baseline else ""))
    with ServerProcess(args.latency) as server:
        measure(server.port, args.latency, 1, 1)  # warm-up: lazy imports, the CA bundle
        for c in args.concurrency:
            row = _median_row([_measure_all(server.port, args, c) for _ in range(args.repeat)])
            if args.json:
                print(json.dumps(row))
            else:
                print(f"{c:>5} {row['requests']:>8.0f} {row['wall_s']:>7.2f} "
                      f"{row['achieved_rps']:>10.1f} {row['ideal_rps']:>8.1f} "
                      f"{row['efficiency']:>9.2f} {row['cpu_ms_per_request']:>10.2f}"
                      + (f" {row['bare_efficiency']:>10.2f} {row['aiohttp_efficiency']:>13.2f}"
                         if args.baseline else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
