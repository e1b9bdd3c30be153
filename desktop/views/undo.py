"""Undo for edits in the trees and tables: each edit is a pair of database actions."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand
from sqlite_utils import Database

log = logging.getLogger(__name__)


class DatabaseCommand(QUndoCommand):
    """An undoable edit: ``do`` and ``undo`` each run in one transaction, then ``refresh``.

    ``do`` runs when the command is pushed onto the stack (Qt calls ``redo`` then); the one
    who pushes it reports that first error. ``on_error`` reports the errors of later undos and
    redos (Ctrl+Z, Ctrl+Y), which nobody waits for: a refusal by the models, a record changed
    meanwhile.
    """

    def __init__(
        self,
        text: str,
        db: Callable[[], Database],
        do: Callable[[Database], object],
        undo: Callable[[Database], object],
        refresh: Callable[[], None],
    ) -> None:
        super().__init__(text)
        self._db = db
        self._do = do
        self._undo = undo
        self._refresh = refresh
        self.error: BaseException | None = None
        self.on_error: Callable[[BaseException], None] | None = None

    def redo(self) -> None:
        self._run(self._do)

    def undo(self) -> None:
        self._run(self._undo)

    def _run(self, action: Callable[[Database], object]) -> None:
        db = self._db()
        try:
            with db.atomic():
                action(db)
        except Exception as exc:  # reported by the caller after push(); the stack stays usable
            log.exception("undoable edit failed: %s", self.text())
            self.error = exc
            self.setObsolete(True)
            if self.on_error is not None:
                self.on_error(exc)
        self._refresh()
