"""The deployment as code: the Helm chart lints, renders, and every manifest is valid Kubernetes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "approche-directe"
KUBERNETES = "1.33.0"
VALUES = [
    "--set", "secrets.MATCHER_DATABASE_URL=postgresql+psycopg://u:p@postgres:5432/matcher",
    "--set", "secrets.MATCHER_BROKER_URL=redis://redis:6379/0",
    "--set", "secrets.MATCHER_AUTH_SECRET=test-secret",
    "--set", "site.publicUrl=https://emploi.example.fr",
    "--set-string", "site.dataController=Centre de gestion de l'Ardèche",
    "--set", "site.privacyContact=dpo@cdg07.example.fr",
]  # fmt: skip


@pytest.fixture(scope="module")
def helm() -> str:
    """Helm, built by scripts/helm (required in CI; on a laptop without Go or Helm the tests skip)."""
    found = os.environ.get("HELM") or shutil.which("helm") or str(Path.home() / "go" / "bin" / "helm")
    if Path(found).is_file():
        return found
    if os.environ.get("CI"):
        pytest.fail("Helm is required in CI: .ci/run builds it with scripts/helm")
    pytest.skip("Helm not available (run scripts/helm)")


def run(helm: str, *args: str) -> str:
    result = subprocess.run([helm, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def render(helm: str, *extra: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(run(helm, "template", "ad", str(CHART), *VALUES, *extra)) if doc]


def test_chart_lints(helm: str) -> None:
    output = run(helm, "lint", "--strict", str(CHART), *VALUES)
    assert "0 chart(s) failed" in output


def test_every_rendered_manifest_is_valid_kubernetes(helm: str) -> None:
    manifests = render(helm, "--set", "ingress.enabled=true", "--set", "ingress.tlsSecretName=tls")
    kinds = sorted(m["kind"] for m in manifests)
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "Deployment", "Ingress", "Job", "Secret", "Service"]
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)


def test_probes_resources_and_roles(helm: str) -> None:
    deployments = {m["metadata"]["name"]: m for m in render(helm) if m["kind"] == "Deployment"}
    api = deployments["ad-approche-directe-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert "--workers" in api["command"]
    beat = deployments["ad-approche-directe-beat"]["spec"]
    assert beat["replicas"] == 1  # one scheduler, never more
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_a_missing_secret_is_refused(helm: str) -> None:
    result = subprocess.run([helm, "template", "ad", str(CHART)], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "MATCHER_DATABASE_URL is required" in result.stderr


def test_the_sites_owner_and_privacy_contact_are_required_and_reach_the_service(helm: str) -> None:
    """The GDPR information (controller, contact) is never left to the placeholders of the embedded default."""
    [config] = [m for m in render(helm) if m["kind"] == "ConfigMap"]
    assert config["data"]["MATCHER_DATA_CONTROLLER"] == "Centre de gestion de l'Ardèche"
    assert config["data"]["MATCHER_PRIVACY_CONTACT"] == "dpo@cdg07.example.fr"
    assert config["data"]["MATCHER_PUBLIC_URL"] == "https://emploi.example.fr"
    pairs = list(zip(VALUES[::2], VALUES[1::2], strict=True))
    without = [arg for flag, value in pairs if not value.startswith("site.privacyContact") for arg in (flag, value)]
    result = subprocess.run([helm, "template", "ad", str(CHART), *without], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "site.privacyContact is required" in result.stderr
