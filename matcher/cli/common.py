"""What every command shares: opening and closing the runtime, and making the service ready."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from matcher.runtime import Runtime


@contextmanager
def open_runtime() -> Iterator[Runtime]:
    """The runtime for one command, closed at the end (imported here: ``--help`` never pays for it)."""
    from matcher.core.settings import get_settings
    from matcher.runtime import Runtime

    rt = Runtime.open(get_settings())
    try:
        yield rt
    finally:
        rt.close()


def prepare(rt: Runtime, *, candidates: int | None = None) -> dict[str, Any]:
    """Make the service ready: demo data and accounts loaded once, indexes caught up. Returns the demo accounts."""
    from matcher.core.progress import ProgressPrinter
    from matcher.demo.samples import seed_demo, seed_demo_accounts
    from matcher.jobs.runner import process_outbox

    progress = ProgressPrinter()
    rt.ensure_indices()
    if seed_demo(rt, candidates=candidates, progress=progress):
        typer.echo("Données de démonstration chargées.", err=True)
    accounts = seed_demo_accounts(rt)
    started = time.perf_counter()
    # Batches of 128: a progress line every second or two on a first start (2,700 texts to embed).
    report = process_outbox(rt, batch_size=128, progress=progress)
    if report.rows:
        typer.echo(f"Indexation : {report.indexed} documents en {time.perf_counter() - started:.1f} s.", err=True)
    return accounts
