"""Two in-process runners over one store (an app and a command in one process, or a runner not yet garbage
collected) share their claims: a row one of them handed out is not handed out again by the other."""

from __future__ import annotations

from typing import Any

from matcher.access import signup
from matcher.jobs.context import Context
from matcher.jobs.dispatch import dispatch
from matcher.jobs.runner import InProcessRunner
from matcher.jobs.tasks import Done, run_job
from matcher.notify.senders import mail_folder
from matcher.runtime import Runtime
from tests.factories import PASSWORD


class Held:
    """An executor that keeps what it is handed, to run it later (a task still under way)."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, list[Any]]] = []

    def submit(self, name: str, args: list[Any]) -> None:
        self.submitted.append((name, args))


def test_a_second_runner_does_not_send_an_e_mail_the_first_is_sending(rt: Runtime) -> None:
    first, second = InProcessRunner(rt), InProcessRunner(rt)
    try:
        signup.sign_up(rt, email="nour.haddad@example.fr", name="Nour", password=PASSWORD, consent=True)
        held = Held()
        ctx = Context(rt=rt, executor=held, leases=first.leases)
        dispatch(ctx)  # the first runner claims the row; its task has not run yet
        [(name, args)] = held.submitted
        assert name == "matcher.send_account_mail"

        second.kick()  # a wake-up of the other runner meanwhile
        outbox = mail_folder(rt.settings)
        assert not outbox.exists() or not list(outbox.iterdir())

        assert isinstance(run_job(ctx, name, args, attempt=0), Done)
        second.kick()
        assert [p.name.startswith("account-verify-") for p in outbox.iterdir()] == [True]
    finally:
        first.close()
        second.close()
