"""Dependencies handed to routes: the runtime built at start-up, and the job runner."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from matcher.jobs.runner import InProcessRunner
from matcher.runtime import Runtime


# Async: a plain read, which would otherwise cost each request a trip to a worker thread.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runner(request: Request) -> InProcessRunner:
    runner: InProcessRunner = request.app.state.runner
    return runner


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RunnerDep = Annotated[InProcessRunner, Depends(get_runner)]
