"""What every command shares: opening and closing the runtime, and making the service ready."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from matcher.core.progress import Progress
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
    _catch_up_vectors(rt, progress)
    if seed_demo(rt, candidates=candidates, progress=progress):
        typer.echo("Données de démonstration chargées.", err=True)
    accounts = seed_demo_accounts(rt)
    started = time.perf_counter()
    # Batches of 128: a progress line every second or two on a first start (2,700 texts to embed).
    report = process_outbox(rt, batch_size=128, progress=progress)
    if report.rows:
        typer.echo(f"Indexation : {report.indexed} documents en {time.perf_counter() - started:.1f} s.", err=True)
    return accounts


def _catch_up_vectors(rt: Runtime, progress: Progress) -> None:
    """Indexes whose vectors another model made (or the same one reading more or fewer tokens) are rebuilt before
    serving; on Elasticsearch behind aliases, where a rebuild is a migration an operator starts, the start says so."""
    from matcher.indexing.admin import uses_aliases
    from matcher.indexing.outbox import rebuild_indices
    from matcher.indexing.vectors import record_model, recorded_model, stale_vectors, vectors_id

    recorded = recorded_model(rt)
    stale = stale_vectors(rt, recorded)
    if stale is None:
        if recorded is None:
            record_model(rt)  # nothing indexed yet: what comes will be this model's
        return
    if uses_aliases(rt):
        typer.echo(
            f"Les vecteurs des index viennent d'un autre modèle ({stale}, modèle actuel {vectors_id(rt.embedder)}) : "
            "lancez « matcher index migrate » pour les recalculer sans interruption.",
            err=True,
        )
        return
    typer.echo(f"Vecteurs à recalculer ({stale} → {vectors_id(rt.embedder)}) : reconstruction des index.", err=True)
    report = rebuild_indices(rt, progress=progress)
    typer.echo(f"{report.indexed} documents réindexés, {len(report.failed)} échecs.", err=True)
