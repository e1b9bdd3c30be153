"""What every page needs: the open database, its file, the current plan, who is logged in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from sqlite_utils import Database

from desktop.models.auth import Actor
from desktop.models.permissions import act_as
from desktop.models.plans import Plan, list_plans


class AppContext(QObject):
    """Holds the open database, the plan being worked on and the actor; pages listen to it.

    ``actor`` is the logged-in user (the command line's administrator when none was given,
    as in tests and ``--smoke``); it is also the user acting on ``db`` (see
    :func:`desktop.models.permissions.act_as`), kept so whenever either changes, so that the
    models refuse what the user's role does not allow. ``today`` gives the date deadlines are
    judged against; tests replace it to freeze time.
    """

    plan_changed = Signal()
    data_changed = Signal()
    actor_changed = Signal()
    #: An undo or redo from the Edit menu failed (the exception); the window shows it.
    edit_failed = Signal(object)

    def __init__(self, db: Database, path: Path | None, parent: QObject | None = None, *,
                 actor: Actor | None = None) -> None:
        super().__init__(parent)
        self._actor = actor if actor is not None else Actor.command_line()
        self.db = db
        self.path = path
        self.today: Callable[[], date] = date.today
        self.plans: list[Plan] = []
        self.plan: Plan | None = None
        self.undo_stack = QUndoStack(self)
        self.reload()

    @property
    def db(self) -> Database:
        """The open database; the actor acts on it."""
        return self._db

    @db.setter
    def db(self, db: Database) -> None:
        self._db = db
        act_as(db, self._actor)

    @property
    def actor(self) -> Actor:
        """Who is logged in; set :meth:`set_actor` to also clear undo and tell the pages."""
        return self._actor

    @actor.setter
    def actor(self, actor: Actor) -> None:
        self._actor = actor
        act_as(self._db, actor)

    def push(self, command: QUndoCommand) -> bool:
        """Run an undoable edit; returns False (and raises nothing) when it failed.

        The caller shows ``command.error`` to the user when it is set; failures of its later
        undos and redos are signalled by :attr:`edit_failed`.
        """
        self.undo_stack.push(command)
        if getattr(command, "error", None) is not None:
            return False
        if hasattr(command, "on_error"):
            command.on_error = self.edit_failed.emit
        return True

    def reload(self) -> None:
        """Re-read the plans (after an import or demo build) and keep the current one."""
        current = self.plan.id if self.plan else None
        self.plans = list_plans(self.db)
        self.plan = next((p for p in self.plans if p.id == current),
                         self.plans[0] if self.plans else None)
        self.data_changed.emit()
        self.plan_changed.emit()

    def select_plan(self, plan_id: int) -> None:
        plan = next((p for p in self.plans if p.id == plan_id), None)
        if plan is not None and plan != self.plan:
            self.plan = plan
            self.plan_changed.emit()

    def set_actor(self, actor: Actor) -> None:
        """Another user logged in: edits of the previous one cannot be undone by this one."""
        self.undo_stack.clear()
        self.actor = actor
        self.actor_changed.emit()
