"""Search engines behind one protocol: plain documents in, ranked ids out.

This package never imports ``matcher`` or ``api``.
"""

from indices.protocol import (
    BulkResult,
    Document,
    Filter,
    GeoDistance,
    Hit,
    Ids,
    SearchBackend,
    Terms,
    WithinReach,
)

__all__ = [
    "BulkResult",
    "Document",
    "Filter",
    "GeoDistance",
    "Hit",
    "Ids",
    "SearchBackend",
    "Terms",
    "WithinReach",
]
