"""A serving process settles once loaded: one BLAS thread, its long-lived objects out of the GC's full passes."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json
import numpy
from threadpoolctl import threadpool_info
from matcher.runtime import settle_serving_process

def blas():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

before = (blas(), gc.get_freeze_count())
settle_serving_process()
print(json.dumps({"before": before, "after": (blas(), gc.get_freeze_count())}))
"""


def test_a_settled_process_has_one_blas_thread_and_a_frozen_heap() -> None:
    # In a process of its own: the setting and the freeze are for the whole process.
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    (blas_before, frozen_before), (blas_after, frozen_after) = seen["before"], seen["after"]
    assert blas_after and set(blas_after) == {1}
    assert frozen_before == 0 and frozen_after > 10_000  # numpy, pydantic, SQLAlchemy… all loaded before
    assert blas_before  # numpy's BLAS was there to limit (its default here is one thread per core)
