"""The ONNX Runtime embedder: an exported (int8) model folder, the tokenizer only, no torch.

The folder is what ``matcher model export-onnx`` writes: ``model.onnx`` (outputs the last hidden state),
``tokenizer.json`` and ``manifest.json``. Pooling (mean over the attention mask) and L2 normalisation happen
here in numpy, as sentence-transformers does for all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.embedding.protocol import Matrix, Progress

MANIFEST = "manifest.json"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest; OSError when the folder is not an exported model."""
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{folder} is not an exported ONNX model folder (no {MANIFEST})") from exc
    return manifest


class OnnxEmbedder:
    """Mean-pooled, normalised sentence embeddings from an ONNX model, on the CPU."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        batch_size: int = 1,
        batch_tokens: int = 512,
        threads: int | None = None,
        max_seq_length: int | None = None,
        optimization: str = "all",
    ) -> None:
        """Reads only the manifest; the model and tokenizer load on first use.

        Args:
            model_dir: the exported folder.
            batch_size: at most this many texts per inference call. 1 (the default): each text alone, so that its
                vector is the same whatever texts it is embedded with: int8 activations are quantised per call, so
                batch mates move a title's vector by up to 0.02 of cosine, and an offer's occupation guess or a
                profile's score would depend on what was indexed with it. Long texts lose nothing by it (a
                profile fills a call); titles are embedded 1.5x faster by the dozen, for reference texts embedded
                once (:meth:`embed`'s ``batch_size``).
            batch_tokens: at most this many (padded) tokens per call when batching: long texts go one or two at a
                time, so a call's activations stay in the CPU caches.
            threads: intra-op threads; None lets ONNX Runtime use every core.
            max_seq_length: tokens per text (special tokens included); default the manifest's.
            optimization: ONNX Runtime graph optimisation level: disable, basic, extended or all.
        """
        self.model_dir = Path(model_dir)
        self.manifest = read_manifest(self.model_dir)
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.threads = threads
        self.max_seq_length = max_seq_length or int(self.manifest["max_seq_length"])
        self.optimization = optimization
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Source, sequence length, quantisation and the model file's digest: a re-export never mixes vectors."""
        m = self.manifest
        kind = "int8" if m.get("quantization") else "fp32"
        return f"{m['name']}:{self.max_seq_length}:onnx-{kind}:{m['sha256'][:12]}"

    @property
    def dims(self) -> int:
        return int(self.manifest["dims"])

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=self.max_seq_length)
                tokenizer.no_padding()  # padded per batch, to the batch's longest text
                options = ort.SessionOptions()
                options.graph_optimization_level = {
                    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                }[self.optimization]
                options.intra_op_num_threads = self.threads or 0
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                session = ort.InferenceSession(
                    str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
                )
                self._tokenizer, self._session = tokenizer, session
            return self._tokenizer, self._session

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model reads for each text (special tokens included, after truncation)."""
        tokenizer, _ = self._load()
        return [len(e.ids) for e in tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None, batch_size: int | None = None) -> Matrix:
        """Unit vectors of ``texts``; ``batch_size``: texts per call instead of the embedder's (see its constructor)."""
        tokenizer, session = self._load()
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        encodings = tokenizer.encode_batch(list(texts))
        inputs = {i.name for i in session.get_inputs()}
        done = 0
        for chunk in self._batches([len(e.ids) for e in encodings], batch_size or self.batch_size):
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            (hidden,) = session.run(None, feed)
            out[chunk] = _mean_pool(hidden, mask)
            done += len(chunk)
            if progress:
                progress(done, len(texts))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def _batches(self, lengths: Sequence[int], batch_size: int) -> list[list[int]]:
        """Indexes of the texts per call: sorted by length (little padding), within both batch limits."""
        batches: list[list[int]] = []
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            # Sorted ascending: the text added is the batch's longest, so it sets the padded width.
            if batches and len(batches[-1]) < batch_size and (len(batches[-1]) + 1) * lengths[i] <= self.batch_tokens:
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches


def _mean_pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    weights = mask[:, :, None].astype(np.float32)
    summed: npt.NDArray[np.float32] = (hidden * weights).sum(axis=1)
    return summed / np.maximum(weights.sum(axis=1), 1e-9)
