"""The README's "Using the API" shell examples, run as written against a real server, so they cannot rot.

The server is the one ``make run`` starts (``python -m api.serve``: demo data, demo accounts, indexes),
in a subprocess on a free port over a temporary data directory, with the hashing embedder and a few
demo candidates for speed. The examples run in bash from a folder whose ``var`` is that data
directory, as they would from the repository root; only the server's address is changed. Every
``curl`` goes through a wrapper adding ``--fail-with-body``: an HTTP error is recorded and fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_URL = "http://127.0.0.1:8000"

WRAPPER = """
curl() {
  command curl --fail-with-body "$@"
  local rc=$?
  [ $rc -eq 0 ] || echo "curl exited $rc: ${*: -6}" >> "$ERRORS"
  return $rc
}
"""


def section_blocks(readme: str, heading: str) -> list[str]:
    """The ```sh blocks under ``## heading``, up to the next second-level heading."""
    start = readme.index(f"\n## {heading}\n")
    end = readme.find("\n## ", start + 1)
    section = readme[start : end if end != -1 else None]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not (shutil.which("curl") and shutil.which("jq") and shutil.which("openssl")):
        pytest.skip("the README's examples need curl, jq and openssl")
    workdir = tmp_path_factory.mktemp("readme")
    port = _free_port()
    env = {
        **os.environ,
        "MATCHER_DATA_DIR": str(workdir / "var"),
        "MATCHER_EMBEDDER": "hashing",
        "MATCHER_DEMO_CANDIDATES": "200",
        # No network here: the README's webhook host cannot be resolved, so its address is not checked.
        "MATCHER_WEBHOOK_ALLOW_PRIVATE": "true",
        "MATCHER_SEARCH_BACKEND": "embedded",
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("MATCHER_DATABASE_URL", None)  # the SQLite file in the data directory
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "api.serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {(workdir / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the server was not ready within 10 minutes")
                time.sleep(1)
        yield url, workdir
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_the_readme_names_the_demo_accounts_it_uses() -> None:
    blocks = section_blocks((ROOT / "README.md").read_text(), "Using the API")
    script = "\n".join(blocks)
    assert not re.search(r"<[a-z ]+>", script), "a placeholder is left in the examples"
    assert "PW=$(jq -r .password var/demo-accounts.json)" in script


def test_the_api_examples_run_as_written(server: tuple[str, Path]) -> None:
    url, workdir = server
    blocks = section_blocks((ROOT / "README.md").read_text(), "Using the API")
    assert blocks, "no sh block in the README's 'Using the API' section"
    errors = workdir / "errors.log"
    script = WRAPPER + "\n".join(blocks).replace(README_URL, url)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env={**os.environ, "ERRORS": str(errors)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = errors.read_text() if errors.exists() else ""
    assert not failed, f"HTTP errors:\n{failed}\n{done.stdout[-3000:]}"
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"access_token"' not in done.stdout  # the tokens stay in variables
    assert '"places"' in done.stdout  # the shortlist was read back
    assert (workdir / "mes-donnees.json").stat().st_size > 0  # the seeker's export was written


def test_the_approach_examples_run_as_written(server: tuple[str, Path]) -> None:
    """The direct approach loop's examples, on the same server (after the API's: they share its demo data)."""
    url, workdir = server
    blocks = section_blocks((ROOT / "README.md").read_text(), "The direct approach loop")
    assert blocks, "no sh block in the README's 'The direct approach loop' section"
    errors = workdir / "approach-errors.log"
    script = WRAPPER + "\n".join(blocks).replace(README_URL, url)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env={**os.environ, "ERRORS": str(errors)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = errors.read_text() if errors.exists() else ""
    assert not failed, f"HTTP errors:\n{failed}\n{done.stdout[-3000:]}"
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"status":"accepted"' in done.stdout  # answered through the e-mail's link
    assert '"email": "candidat1@demo.approche-directe.fr"' in done.stdout  # then seen by the recruiter
    assert '"stage":"interested"' in done.stdout


def test_make_run_prints_each_offer_coverage(server: tuple[str, Path]) -> None:
    """Every shipped published offer with an occupation, given or inferred, has at least five demo candidates within
    reach."""
    _, workdir = server
    found = re.search(
        r"Couverture : (\d+) offres publiées avec un métier \(déduit de l'intitulé pour (\d+)\), de (\d+) à",
        (workdir / "server.log").read_text(),
    )
    assert found, "make run printed no coverage line"
    assert int(found.group(1)) > 500 and int(found.group(2)) > 0 and int(found.group(3)) >= 5
