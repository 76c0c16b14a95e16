"""The run command: prepare the demo data and indexes, then serve the API and pages."""

from __future__ import annotations

import sys
import time
from typing import Any

import uvicorn

from api.app import create_app
from api.settings import get_api_settings
from matcher.cli.common import prepare
from matcher.core import logs
from matcher.core.progress import ProgressPrinter
from matcher.core.settings import get_settings
from matcher.demo.samples import loaded_coverage
from matcher.ranking.pipeline import warm_up
from matcher.runtime import Runtime, settle_serving_process


def demo_accounts_text(accounts: dict[str, Any]) -> str:
    """The demo accounts to sign in with (demo data only: the password is random, kept in data_dir)."""
    lines = [
        f"Comptes de démonstration (mot de passe : {accounts['password']})",
        f"  Administration  {accounts['admin']}",
    ]
    lines += [f"  Recrutement     {r['email']}  ({r['employer']})" for r in accounts["recruiters"]]
    lines += [f"  Candidat        {email}" for email in accounts["seekers"]]
    lines.append(f"  Partenaire      clé d'API {accounts['partner_key']}")
    return "\n".join(lines) + "\n"


def main() -> None:
    started = time.perf_counter()
    settings, api_settings = get_settings(), get_api_settings()
    logs.configure(json_lines=settings.log_format == "json")
    runtime = Runtime.open(settings)
    try:
        accounts = prepare(runtime)
        # The first seeker's matches should not pay for reading every offer.
        print("Préparation des offres (métiers, compétences)…", file=sys.stderr, flush=True)
        warm_up(runtime, progress=ProgressPrinter())
        runtime.save_offer_views()  # the next start reads them instead of rebuilding them
        settle_serving_process()  # one BLAS thread; what is loaded so far kept out of the GC's full passes
        covered = loaded_coverage(runtime)
        reach = [count for *_, count, _ in covered]
        if reach:
            inferred = sum(guessed for *_, guessed in covered)
            print(
                f"Couverture : {len(reach)} offres publiées avec un métier (déduit de l'intitulé pour {inferred}), "
                f"de {min(reach)} à {max(reach)} candidats à portée chacune "
                "(détail : python -m matcher.cli.demo coverage).",
                flush=True,
            )
        base = f"http://{api_settings.host}:{api_settings.port}"
        print(
            f"\nPrêt en {time.perf_counter() - started:.1f} s.\n"
            f"  Pages       {base}/\n"
            f"  API (docs)  {base}/docs\n"
            f"  Santé       {base}/health\n\n"
            f"{demo_accounts_text(accounts)}",
            flush=True,
        )
        uvicorn.run(create_app(runtime), host=api_settings.host, port=api_settings.port, log_level="warning")
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
