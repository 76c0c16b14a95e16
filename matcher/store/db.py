"""Engine, sessions and migrations."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE_OPTION = "matcher_write"
_INSERTED = "matcher_inserted_tables"
log = logging.getLogger(__name__)
CommitHook = Callable[[frozenset[str]], None]
BUSY_TIMEOUT_S = 30.0


class _Turns:
    """A first-come, first-served turn among one process's write transactions (SQLite).

    SQLite's busy handler polls (every 100 ms at most): a writer that commits and begins again at once,
    like a long sync committing chunk after chunk, would keep the lock from writers waiting for it. Here
    they queue instead, each served in order. Re-entrant within a thread; a writer that waits longer
    than ``timeout_s`` goes on without its turn (SQLite's own busy timeout then applies, as before).
    """

    def __init__(self, *, enabled: bool, timeout_s: float) -> None:
        self.enabled, self.timeout_s = enabled, timeout_s
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[tuple[int, threading.Event]] = deque()

    @contextmanager
    def turn(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        held = self._acquire()
        try:
            yield
        finally:
            if held:
                self._release()

    def _acquire(self) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me or self._owner is None:
                self._owner, self._depth = me, self._depth + 1
                return True
            ready = threading.Event()
            self._queue.append((me, ready))
        if ready.wait(self.timeout_s):
            return True
        with self._mutex:
            if (me, ready) in self._queue:
                self._queue.remove((me, ready))
                return False
        return True  # handed over just as the wait ran out

    def _release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                self._owner, ready = self._queue.popleft()
                self._depth = 1
                ready.set()
            else:
                self._owner = None


def make_engine(url: str) -> Engine:
    """Engine for ``url``; SQLite gets WAL and foreign keys so it behaves like a server database."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, says when transactions begin
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):  # type: ignore[no-untyped-def]
            # Write transactions take the write lock up front: two writers then queue (busy timeout)
            # instead of failing when a reader tries to upgrade after another writer committed.
            immediate = connection.get_execution_options().get(WRITE_OPTION)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """Sessions on one database. ``transaction()`` commits on success and rolls back on any error.

    Whoever must hear of committed inserts (the job runner, of outbox rows) registers with
    :meth:`on_commit`: every session's commit then calls it with the tables it inserted into.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        # SQLite: this process's writers take turns first come, first served (see _Turns).
        self._turns = _Turns(enabled=engine.dialect.name == "sqlite", timeout_s=BUSY_TIMEOUT_S)
        self._hooks: list[CommitHook] = []
        self._hooks_lock = threading.Lock()
        for factory in (self._sessions, self._writes):
            event.listen(factory, "after_flush", _note_inserts)
            event.listen(factory, "after_commit", self._committed)
            event.listen(factory, "after_transaction_end", _forget_inserts)

    def on_commit(self, hook: CommitHook) -> Callable[[], None]:
        """Call ``hook(tables)`` after each commit that inserted rows; returns what unregisters it."""
        with self._hooks_lock:
            self._hooks.append(hook)

        def remove() -> None:
            with self._hooks_lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)

        return remove

    def _committed(self, session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint released: the outer transaction may still roll back
            return
        tables = frozenset(session.info.pop(_INSERTED, ()))
        if not tables:
            return
        with self._hooks_lock:
            hooks = list(self._hooks)
        for hook in hooks:
            try:
                hook(tables)
            except Exception:  # the commit stands whatever a listener does
                log.exception("commit hook failed")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._turns.turn(), self._writes.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session


def _note_inserts(session: Session, _context: Any) -> None:
    # after_flush still sees the flushed objects as new.
    tables = {getattr(type(obj), "__tablename__", "") for obj in session.new}
    session.info.setdefault(_INSERTED, set()).update(t for t in tables if t)


def _forget_inserts(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one ended (a rolled-back savepoint keeps what came before)
        session.info.pop(_INSERTED, None)
