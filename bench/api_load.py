"""Requests per second through the real HTTP stack, loopback only and bounded in time.

    uv run python -m bench.api_load --data-dir DIR [--workers 1 2 4] [--seconds 10] [--connections 8]

``DIR`` is the data folder of a first ``make run`` (its store, index and ``demo-accounts.json``).
For each worker count, ``uvicorn api.app:create_app --factory --workers N`` is started on 127.0.0.1
and each endpoint is hit by ``--connections`` concurrent keep-alive clients for ``--seconds``:
``/health`` (no account), ``/me`` (a seeker's token: authentication and the account check),
``/offers/{id}`` (a recruiter reading an offer) and ``/me/matches`` (a seeker's matches). Prints
req/s, p50/p99 latency and errors (by status) per endpoint. The rate limit is lifted (``--rate-limit``):
every request comes from one address. The server is stopped at the end of each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.search_backends import pct

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, workers: int, port: int, rate_limit: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MATCHER_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    env["MATCHER_RATE_LIMIT_PER_MINUTE"] = str(rate_limit)
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", HOST]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 (fixed argv)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not answer /health within 180 s")


def token(base: str, email: str, password: str) -> str:
    response = httpx.post(f"{base}/auth/token", data={"username": email, "password": password}, timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


Outcome = tuple[float, list[float], Counter[str]]


async def hammer(base: str, path: str, headers: dict[str, str], seconds: float, connections: int) -> Outcome:
    """(requests/s, latencies in ms, errors by status) of ``connections`` clients on ``path`` for ``seconds``."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    stop = time.perf_counter() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    status = str((await http.get(path)).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                latencies.append((time.perf_counter() - started) * 1000)
                if status != "200":
                    errors[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return len(latencies) / (time.perf_counter() - started), latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--rate-limit", type=int, default=10**9, help="requests per minute per client (one client here: 10**9)"
    )
    args = parser.parse_args()
    accounts = json.loads((args.data_dir / "demo-accounts.json").read_text())
    print(f"{'workers':>7}  {'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  errors")
    for workers in args.workers:
        port = free_port()
        server = start_server(args.data_dir, workers, port, args.rate_limit)
        base = f"http://{HOST}:{port}"
        try:
            seeker = {"Authorization": f"Bearer {token(base, accounts['seekers'][0], accounts['password'])}"}
            recruiter_email = accounts["recruiters"][0]["email"]
            recruiter = {"Authorization": f"Bearer {token(base, recruiter_email, accounts['password'])}"}
            listed = httpx.get(f"{base}/offers", headers=recruiter, params={"limit": 1}, timeout=30).json()
            items = listed.get("items", listed) if isinstance(listed, dict) else listed
            offer_id = items[0]["id"]
            for label, path, headers in (
                ("GET /health", "/health", {}),
                ("GET /me (seeker)", "/me", seeker),
                ("GET /offers/{id} (recruiter)", f"/offers/{offer_id}", recruiter),
                ("GET /me/matches (seeker)", "/me/matches", seeker),
            ):
                rate, latencies, errors = asyncio.run(hammer(base, path, headers, args.seconds, args.connections))
                print(
                    f"{workers:>7}  {label:<28}{rate:>9.0f}{pct(latencies, 0.5):>9.1f}"
                    f"{pct(latencies, 0.99):>9.1f}  {dict(errors) or 0}",
                    flush=True,
                )
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
