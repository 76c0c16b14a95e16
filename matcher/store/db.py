"""Engine, sessions and migrations."""

from __future__ import annotations

import logging
import threading
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


def make_engine(url: str) -> Engine:
    """Engine for ``url``; SQLite gets WAL and foreign keys so it behaves like a server database."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

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
        with self._writes.begin() as session:
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
