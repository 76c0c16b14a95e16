"""``matcher worker``, ``matcher beat``, ``matcher jobs run`` and ``matcher deadletters list|replay``."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING

import typer

from matcher.cli.common import open_runtime

if TYPE_CHECKING:
    from matcher.jobs.context import Context
    from matcher.jobs.runner import InProcessRunner
    from matcher.runtime import Runtime

# The short names of the tasks in matcher.jobs.tasks.JOBS (a test keeps them equal).
TASKS = (
    "dispatch",
    "index_outbox",
    "deliver_webhook",
    "notify_approach",
    "send_account_mail",
    "expire_approaches",
    "expire_consents",
    "send_digests",
    "purge_retention",
    "retrain",
    "check_indices",
)


def _require_broker() -> str:
    from matcher.core.settings import get_settings

    url = get_settings().broker_url
    if not url:
        typer.echo("Aucun broker configuré (MATCHER_BROKER_URL) : les tâches tournent dans le processus.", err=True)
        raise typer.Exit(code=2)
    return url


def worker(
    concurrency: int = typer.Option(2, help="Processus de travail"),
    loglevel: str = typer.Option("INFO", help="Niveau de journalisation"),
    metrics_port: int = typer.Option(None, help="Port des métriques Prometheus de tous les processus du worker"),
) -> None:
    """Run a Celery worker on the configured broker (tasks acknowledged late, retried with backoff)."""
    if metrics_port is not None:
        _serve_worker_metrics(metrics_port)  # before any import of prometheus-client: its mode is chosen then
    from matcher.core.settings import get_settings
    from matcher.jobs.worker import make_celery

    _require_broker()
    settings = get_settings()
    make_celery(settings, warm=True).worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--concurrency={concurrency}",
            f"--queues={settings.task_queue}",
            f"--hostname=matcher-{socket.gethostname()}-{time.time_ns() % 10**6}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def _serve_worker_metrics(port: int) -> None:
    """Every worker process records into one folder (prometheus-client's multiprocess mode); this process serves
    their sum on ``port``."""
    import os
    import tempfile

    folder = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="matcher-metrics-"))
    os.makedirs(folder, exist_ok=True)
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr="0.0.0.0", registry=registry)  # noqa: S104 - scraped inside the cluster


def beat(loglevel: str = typer.Option("INFO", help="Niveau de journalisation")) -> None:
    """Run the Celery beat: outbox dispatch, alert digests, retention purge, retraining, index check."""
    from matcher.core.settings import get_settings
    from matcher.jobs.worker import celery_app

    _require_broker()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    celery_app(settings).start(
        ["beat", f"--loglevel={loglevel}", f"--schedule={settings.data_dir / 'celerybeat-schedule'}"]
    )


def _context(rt: Runtime) -> tuple[Context, InProcessRunner | None]:
    from matcher.jobs.runner import InProcessRunner, context_for

    if rt.settings.broker_url:
        return context_for(rt), None
    runner = InProcessRunner(rt)
    return runner.context, runner


def run(name: str = typer.Argument(..., help=f"Tâche : {', '.join(TASKS)}")) -> None:
    """Run one task now in this process (e.g. the digests from cron when no beat runs); prints its counts."""
    from matcher.core.retry import Dead, Retry
    from matcher.jobs.tasks import run_job

    if name not in TASKS:
        typer.echo(f"Tâche inconnue : {name} (connues : {', '.join(TASKS)})", err=True)
        raise typer.Exit(code=2)
    with open_runtime() as rt:
        rt.ensure_indices()
        ctx, _ = _context(rt)
        outcome = run_job(ctx, f"matcher.{name}", [], attempt=rt.settings.task_max_retries)  # no retry: report
        if isinstance(outcome, Retry | Dead):
            typer.echo(f"Échec : {outcome.error}", err=True)
            raise typer.Exit(code=1)
        typer.echo(json.dumps(outcome.result, ensure_ascii=False, default=str))


def list_command(
    all_: bool = typer.Option(False, "--all", help="Inclure celles déjà rejouées"),
    limit: int = typer.Option(100, help="Nombre maximal de lignes"),
) -> None:
    """List the tasks that kept failing."""
    from matcher.jobs import deadletters

    with open_runtime() as rt:
        with rt.store.read() as session:
            letters = deadletters.list_dead_letters(session, include_replayed=all_, limit=limit)
        for d in letters:
            replayed = f" rejouée {d.replayed_at:%Y-%m-%d %H:%M}" if d.replayed_at else ""
            typer.echo(
                f"#{d.id} {d.failed_at:%Y-%m-%d %H:%M} {d.task} {json.dumps(d.args)[:80]} "
                f"({d.attempts} essais){replayed}\n    {d.error[:300]}"
            )
        if not letters:
            typer.echo("Aucune lettre morte.")


def replay_command(
    ids: list[int] = typer.Argument(None, help="Numéros à rejouer"),
    all_: bool = typer.Option(False, "--all", help="Rejouer toutes celles qui ne l'ont pas été"),
) -> None:
    """Submit dead letters' tasks again (in this process when no broker is configured)."""
    from matcher.core.errors import MatcherError
    from matcher.jobs import deadletters
    from matcher.jobs.tasks import replay

    with open_runtime() as rt:
        if all_:
            with rt.store.read() as session:
                ids = [d.id for d in deadletters.list_dead_letters(session, limit=10_000)]
        if not ids:
            typer.echo("Rien à rejouer.")
            return
        ctx, _ = _context(rt)
        for dead_id in ids:
            try:
                name = replay(ctx, dead_letter_id=dead_id)
            except MatcherError as exc:
                typer.echo(f"#{dead_id} : {exc.detail}", err=True)
                continue
            typer.echo(f"#{dead_id} rejouée ({name}).")


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(beat)
    jobs_app = typer.Typer(help="Tâches de fond.", no_args_is_help=True)
    jobs_app.command("run")(run)
    app.add_typer(jobs_app, name="jobs")
    dead_app = typer.Typer(help="Tâches abandonnées après leurs essais.", no_args_is_help=True)
    dead_app.command("list")(list_command)
    dead_app.command("replay")(replay_command)
    app.add_typer(dead_app, name="deadletters")
