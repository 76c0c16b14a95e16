"""``matcher import offers|candidates FILE``: the partner sync's validation and per-item report, idempotent re-runs,
and the README's example run as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from matcher.catalog.employers import create_employer
from matcher.cli.main import app
from matcher.core.models import EmployerIn, EmployerKind
from matcher.core.settings import MatcherSettings, get_settings
from matcher.indexing.outbox import pending_count
from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, OfferRow

ROOT = Path(__file__).resolve().parents[3]
HEADER = "external_id;title;commune_insee;contract_types;rome_code;required_skills\n"


@pytest.fixture
def cli(settings: MatcherSettings, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MATCHER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MATCHER_EMBEDDER", "hashing")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def employers(rt: Runtime, *names: str) -> list[str]:
    with rt.store.transaction() as session:
        return [create_employer(session, data=EmployerIn(name=n, kind=EmployerKind.COMMUNE)).id for n in names]


def write(path: Path, text: str, *, later_s: int = 0) -> Path:
    path.write_text(text, encoding="utf-8")
    if later_s:  # an edited file: saved after the last import
        stat = path.stat()
        os.utime(path, (stat.st_atime + later_s, stat.st_mtime + later_s))
    return path


def offers(rt: Runtime) -> dict[tuple[str, str | None], str]:
    with rt.store.read() as session:
        return {(r.source, r.external_ref): r.title for r in session.scalars(select(OfferRow))}


def test_offers_are_reported_item_by_item_and_a_second_run_changes_nothing(
    cli: CliRunner, rt: Runtime, tmp_path: Path
) -> None:
    [privas] = employers(rt, "Commune de Privas")
    rows = [
        "X-1;Jardinier;07186;contractuel|cdd;A1203;100063",
        "X-2;Agent d'entretien;07019;cdd;;",
        "X-3;Secrétaire;99999;cdd;;",  # a commune that does not exist
    ]
    csv_file = write(tmp_path / "offres.csv", HEADER + "\n".join(rows) + "\n")

    first = cli.invoke(app, ["import", "offers", str(csv_file), "--employer", "Commune de Privas"])
    assert first.exit_code == 1  # a refusal
    assert f"{csv_file}, ligne 4 (X-3) : refusé — commune_insee" in first.stdout
    assert "lus 3, créés 2, mis à jour 0, inchangés 0, supprimés 0, refusés 1." in first.stdout
    source = f"import:{privas}"
    assert offers(rt) == {(source, "X-1"): "Jardinier", (source, "X-2"): "Agent d'entretien"}
    with rt.store.read() as session:
        stored = session.scalar(select(OfferRow).where(OfferRow.external_ref == "X-1"))
        assert stored is not None and stored.contract_types == ["contractuel", "cdd"]
        assert stored.employer_id == privas and stored.required_skills == ["100063"]
    assert pending_count(rt) == 0  # indexed by the command

    again = cli.invoke(app, ["import", "offers", str(csv_file), "--employer", privas])
    assert again.exit_code == 1
    assert "rien n'a changé (déjà à jour 2, refusés 1)." in again.stdout

    rows[1] = "X-2;Agent d'entretien des locaux;07019;cdd;;"
    rows[2] = "X-3;Secrétaire;07186;cdd;;"
    write(csv_file, HEADER + "\n".join(rows) + "\n", later_s=60)
    edited = cli.invoke(app, ["import", "offers", str(csv_file), "--employer", privas])
    assert edited.exit_code == 0, edited.stdout
    assert "lus 3, créés 1, mis à jour 1, inchangés 1, supprimés 0, refusés 0." in edited.stdout
    assert offers(rt)[(source, "X-2")] == "Agent d'entretien des locaux"


def test_each_employers_imports_stay_apart_and_an_item_naming_another_employer_is_refused(
    cli: CliRunner, rt: Runtime, tmp_path: Path
) -> None:
    privas, aubenas = employers(rt, "Commune de Privas", "Commune d'Aubenas")
    lines = [
        {"external_id": "A-1", "offer": {"title": "Jardinier", "commune_insee": "07186", "contract_types": ["cdd"]}},
        {"external_id": "A-2", "version": 3, "offer": {"title": "Cuisinier", "commune_insee": "07186",
                                                       "contract_types": ["cdd"], "employer_id": aubenas}},
    ]  # fmt: skip
    jsonl = write(tmp_path / "offres.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    mine = cli.invoke(app, ["import", "offers", str(jsonl), "--employer", privas])
    assert mine.exit_code == 1
    assert "ligne 2 (A-2) : refusé — offer.employer_id : employeur hors de votre périmètre" in mine.stdout
    theirs = cli.invoke(app, ["import", "offers", str(jsonl), "--employer", aubenas])
    assert theirs.exit_code == 0 and "lus 2, créés 2," in theirs.stdout
    assert set(offers(rt)) == {(f"import:{aubenas}", "A-1"), (f"import:{aubenas}", "A-2"), (f"import:{privas}", "A-1")}


def test_candidates_need_the_persons_consent_and_csv_lists_are_split(
    cli: CliRunner, rt: Runtime, tmp_path: Path
) -> None:
    given = (date.today() - timedelta(days=5)).isoformat()
    header = (
        "external_id,display_name,title,desired_occupations,contract_types,mobility.communes,mobility.radius_km,"
        "consent.given_at,consent.channel,consent.scope,consent.duration_days\n"
    )
    rows = [
        f"C-1,Dominique,Jardinier,A1203,contractuel|cdd,07186|07019,30,{given},paper,all_public_employers,365",
        "C-2,Sacha,Aide-soignante,J1501,contractuel,07019,20,,,,",  # no consent
    ]
    csv_file = write(tmp_path / "candidats.csv", header + "\n".join(rows) + "\n")
    first = cli.invoke(app, ["import", "candidates", str(csv_file)])
    assert first.exit_code == 1
    assert "ligne 3 (C-2) : refusé — consent : preuve du consentement manquante" in first.stdout
    with rt.store.read() as session:
        [row] = session.scalars(select(CandidateRow)).all()
    assert (row.source, row.external_ref, row.visibility) == ("import", "C-1", "employers")
    assert row.mobility == {"communes": ["07186", "07019"], "radius_km": 30.0}
    assert row.contract_types == ["contractuel", "cdd"] and row.partner_consent["duration_days"] == 365
    again = cli.invoke(app, ["import", "candidates", str(csv_file)])
    assert "rien n'a changé (déjà à jour 1, refusés 1)." in again.stdout


def test_unreadable_files_and_unknown_employers_are_said_and_change_nothing(
    cli: CliRunner, rt: Runtime, tmp_path: Path
) -> None:
    privas, _ = employers(rt, "Commune de Privas", "Commune de Privas")
    broken = write(tmp_path / "offres.jsonl", '{"external_id": "A-1"}\n{"external_id": \n')
    unreadable = cli.invoke(app, ["import", "offers", str(broken), "--employer", privas])
    assert unreadable.exit_code == 1 and "ligne 2" in unreadable.stderr
    unknown = cli.invoke(app, ["import", "offers", str(broken), "--employer", "Commune de Lyon"])
    assert unknown.exit_code == 1 and "employeur 'Commune de Lyon' introuvable" in unknown.stderr
    twice = cli.invoke(app, ["import", "offers", str(broken), "--employer", "Commune de Privas"])
    assert twice.exit_code == 1 and "plusieurs employeurs s'appellent ainsi" in twice.stderr
    no_header = write(tmp_path / "vide.csv", "A-1;Jardinier\n")
    assert "external_id" in cli.invoke(app, ["import", "candidates", str(no_header)]).stderr
    assert offers(rt) == {}


def test_the_readme_example_runs_as_written(rt: Runtime, settings: MatcherSettings, tmp_path: Path) -> None:
    """The README's import block, run by bash from a folder whose ``var`` is the data directory (as from the
    repository root after ``make run``); only ``uv run matcher`` becomes this interpreter's ``-m matcher.cli``."""
    if not shutil.which("jq"):
        pytest.skip("the README's example needs jq")
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Importing offers and candidates\n") :]
    section = section[: section.find("\n## ", 1)]
    [block] = re.findall(r"^```sh\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)
    [employer] = employers(rt, "Commune de Privas")
    accounts = {"recruiters": [{"email": "rh@privas.example.fr", "employer": "Commune de Privas"}]}
    (settings.data_dir / "demo-accounts.json").write_text(json.dumps(accounts))
    workdir = tmp_path / "repo"
    workdir.mkdir()
    (workdir / "var").symlink_to(settings.data_dir)
    (workdir / "examples").symlink_to(ROOT / "examples")
    script = "set -e\n" + block.replace("uv run matcher", f"{sys.executable} -m matcher.cli")
    env = {**os.environ, "MATCHER_DATA_DIR": str(settings.data_dir), "MATCHER_EMBEDDER": "hashing"}
    done = subprocess.run(["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lus 3, créés 3," in done.stdout
    assert "rien n'a changé (déjà à jour 3)." in done.stdout
    assert "lus 2, créés 2," in done.stdout
    assert "synchronisation" in done.stderr  # the progress line
    assert len(offers(rt)) == 3 and {source for source, _ in offers(rt)} == {f"import:{employer}"}
    with rt.store.read() as session:
        assert {r.source for r in session.scalars(select(CandidateRow))} == {"import"}
