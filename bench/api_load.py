"""Requests per second through the real HTTP stack, loopback only and bounded in time.

    uv run python -m bench.api_load --data-dir DIR [--workers 1 2 4] [--seconds 10] [--connections 8]

``DIR`` is the data folder of a first ``make run`` (its store, index and ``demo-accounts.json``).
For each worker count, ``uvicorn api.app:create_app --factory --workers N`` is started on 127.0.0.1
and each endpoint is hit by ``--connections`` concurrent keep-alive clients for ``--seconds``:
``/health`` (no account), ``/me`` (a seeker's token: authentication and the account check),
``/offers/{id}`` (a recruiter reading an offer), ``/me/matches`` (a seeker's matches), a kept shortlist
read (a page of 20 explained places) and shortlist builds (``POST``: retrieve → rank → keep 50), each after
a short untimed warm-up of the same load (lazily built parts, every worker process). The server runs on a
copy of ``DIR`` (the builds write shortlists; the folder itself is left as it was). The baseline,
measured in the same run with the same worker count: a bare ASGI app answering a fixed JSON body
through the same uvicorn (the HTTP stack's floor on this machine).

Printed per endpoint: req/s, p50/p99 latency, errors (by status), and requests per CPU-second of the
server's processes (``req/CPU-s``: what one fully used core would serve; the machine is shared and the
clients run on it too, so req/s alone mostly measures how much CPU the server got). The clients are a
minimal HTTP/1.1 client on asyncio streams in a process of their own (an HTTP library's own cost would
cap the rate first). The rate limit is lifted (``--rate-limit``): every request comes from one address.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.search_backends import pct

HOST = "127.0.0.1"
FLOOR_BODY = b'{"status":"ok"}'


async def floor_app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[..., Any]) -> None:
    """The baseline: an ASGI app with nothing but a fixed JSON answer (lifespan events accepted)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(FLOOR_BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": FLOOR_BODY})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(app: list[str], env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    """``uvicorn`` with ``workers`` processes on ``port``, once it answers."""
    command = [sys.executable, "-m", "uvicorn", *app, "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 (fixed argv)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{HOST}:{port}/health", timeout=2)
            time.sleep(2 if workers > 1 else 0)  # every worker up, not just the first
            return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not answer within 180 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its (waited-for or living) children, in seconds."""
    total = 0.0
    for each in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def token(base: str, email: str, password: str) -> str:
    response = httpx.post(f"{base}/auth/token", data={"username": email, "password": password}, timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


Outcome = tuple[int, list[float], Counter[str], float]


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[str, bool]:
    """Send one request on a kept-alive connection and read its whole answer: (status, connection kept)."""
    writer.write(request)
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status, length, chunked, keep = status_line.split()[1].decode(), 0, False, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and value == b"chunked":
            chunked = True
        elif name == b"connection" and value == b"close":
            keep = False
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    return status, keep


async def _client(port: int, request: bytes, stop: float, latencies: list[float], errors: Counter[str]) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < stop:
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(HOST, port)
            status, keep = await _one(*connection, request)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            status, keep = type(exc).__name__, False
        latencies.append((time.perf_counter() - started) * 1000)
        if status not in ("200", "201"):
            errors[status] += 1
        if not keep and connection is not None:
            connection[1].close()
            connection = None
    if connection is not None:
        connection[1].close()


def hammer(
    port: int, path: str, headers: dict[str, str], seconds: float, connections: int, body: str | None = None
) -> Outcome:
    """(requests, latencies in ms, errors by status, seconds) of ``connections`` clients on ``path``
    (``GET``; ``POST`` of the JSON ``body`` when one is given)."""
    method = "GET" if body is None else "POST"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body.encode())}"]
    request = ("\r\n".join(lines) + "\r\n\r\n" + (body or "")).encode()
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def run() -> float:
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(*(_client(port, request, stop, latencies, errors) for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    return len(latencies), latencies, errors, elapsed


def _hammer_apart(
    port: int, path: str, headers: dict[str, str], seconds: float, connections: int, body: str | None
) -> Outcome:
    """:func:`hammer` in a process of its own, so the clients never share this one's interpreter."""
    spec = json.dumps([port, path, headers, seconds, connections, body])
    code = "import json,sys; from bench.api_load import _child; _child(sys.argv[1])"
    out = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "-c", code, spec], capture_output=True, text=True, check=True
    )
    done, latencies, errors, elapsed = json.loads(out.stdout.strip().splitlines()[-1])
    return done, latencies, Counter(errors), elapsed


def _child(spec: str) -> None:
    port, path, headers, seconds, connections, body = json.loads(spec)
    done, latencies, errors, elapsed = hammer(port, path, headers, seconds, connections, body)
    print(json.dumps([done, latencies, dict(errors), elapsed]))


def measure(
    server: subprocess.Popen[bytes],
    port: int,
    label: str,
    path: str,
    headers: dict[str, str],
    args: Any,
    body: str | None = None,
) -> str:
    """One endpoint's line of the table, after ``--warm-up`` seconds of the same load (every worker ready)."""
    _hammer_apart(port, path, headers, args.warm_up, args.connections, body)
    cpu_before = cpu_seconds(server.pid)
    done, latencies, errors, elapsed = _hammer_apart(port, path, headers, args.seconds, args.connections, body)
    cpu = cpu_seconds(server.pid) - cpu_before
    per_cpu = f"{done / cpu:>11.0f}" if cpu > 0 else f"{'-':>11}"
    return (
        f"{label:<34}{done / elapsed:>9.0f}{pct(latencies, 0.5):>9.1f}{pct(latencies, 0.99):>9.1f}"
        f"{per_cpu}  {dict(errors) or 0}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds of untimed load before each endpoint")
    parser.add_argument(
        "--rate-limit", type=int, default=10**9, help="requests per minute per client (one client here: 10**9)"
    )
    args = parser.parse_args()
    accounts = json.loads((args.data_dir / "demo-accounts.json").read_text())
    with tempfile.TemporaryDirectory(prefix="api-load-") as scratch:  # removed even when a measurement fails
        copy = Path(scratch) / "data"
        shutil.copytree(args.data_dir, copy)  # the builds write shortlists: into a copy
        env = {**os.environ, "MATCHER_DATA_DIR": str(copy), "HF_HUB_OFFLINE": "1"}
        env["MATCHER_RATE_LIMIT_PER_MINUTE"] = str(args.rate_limit)
        print(
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()}; "
            f"{args.connections} connections, {args.seconds} s each"
        )
        print(f"{'workers':>7}  {'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'req/CPU-s':>11}  errors")
        for workers in args.workers:
            port = free_port()
            server = start_server(["bench.api_load:floor_app"], env, workers, port)
            try:
                line = measure(server, port, "bare ASGI app (baseline)", "/health", {}, args)
                print(f"{workers:>7}  {line}", flush=True)
            finally:
                stop_server(server)
            port = free_port()
            server = start_server(["api.app:create_app", "--factory"], env, workers, port)
            base = f"http://{HOST}:{port}"
            try:
                seeker = {"Authorization": f"Bearer {token(base, accounts['seekers'][0], accounts['password'])}"}
                recruiter_email = accounts["recruiters"][0]["email"]
                recruiter = {"Authorization": f"Bearer {token(base, recruiter_email, accounts['password'])}"}
                offer_id, shortlist_id, places = fullest_shortlist(base, recruiter)
                kept = f"/offers/{offer_id}/shortlists/{shortlist_id}?limit=20"
                for label, path, headers, body in (
                    ("GET /health", "/health", {}, None),
                    ("GET /me (seeker)", "/me", seeker, None),
                    ("GET /offers/{id} (recruiter)", f"/offers/{offer_id}", recruiter, None),
                    ("GET /me/matches (seeker)", "/me/matches", seeker, None),
                    ("GET kept shortlist, 20 places", kept, recruiter, None),
                    (f"POST shortlist ({places} kept)", f"/offers/{offer_id}/shortlists", recruiter, '{"size": 50}'),
                ):
                    print(f"{workers:>7}  {measure(server, port, label, path, headers, args, body)}", flush=True)
            finally:
                stop_server(server)
    print(f"load average after {os.getloadavg()}")


def fullest_shortlist(base: str, recruiter: dict[str, str], tries: int = 20) -> tuple[str, str, int]:
    """(offer, shortlist, places) of the fullest shortlist built for the recruiter's first ``tries`` offers."""
    listed = httpx.get(f"{base}/offers", headers=recruiter, params={"limit": tries}, timeout=30).json()
    best = ("", "", -1)
    for offer in listed.get("items", listed) if isinstance(listed, dict) else listed:
        built = httpx.post(f"{base}/offers/{offer['id']}/shortlists", headers=recruiter, json={"size": 50}, timeout=60)
        if built.status_code == 201:
            summary = built.json()["shortlist"]
            if summary["size"] > best[2]:
                best = (offer["id"], summary["id"], summary["size"])
    if not best[0]:
        raise SystemExit("no shortlist could be built for the recruiter's offers")
    return best


if __name__ == "__main__":
    main()
