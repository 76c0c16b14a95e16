"""What an embedder is: texts in, unit-length float32 vectors out (cosine is a dot product downstream)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    @property
    def model_id(self) -> str:
        """Names the model and its settings: vectors from different ids are never mixed."""
        ...

    @property
    def dims(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Matrix: ...
