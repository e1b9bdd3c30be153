"""Import a previewed plan document into the database, as a job the app runs off the UI thread."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

from desktop.documents.plan_document import PlanDocument
from desktop.models.auth import Actor
from desktop.models.outline_store import OutlineChange, apply_outline
from desktop.models.permissions import Action, act_as, require_acting
from desktop.models.plans import OutlineNode, create_plan_for_file
from desktop.models.progress import Progress
from desktop.models.store import backup_before_import, open_database


def import_outline_job(
    database: Path,
    document: PlanDocument,
    roots: Sequence[OutlineNode],
    plan_id: int | None,
    *,
    allow_removing_linked: bool = False,
    actor: Actor | None = None,
) -> Generator[Progress, None, tuple[int, OutlineChange]]:
    """Back up, then store the outline in a new plan (``plan_id`` None) or the given one.

    Opens its own connection (it runs in a worker thread); a cancel between steps, or any
    error, leaves the database as it was. ``actor`` is who imports (``None``: the command
    line); the models refuse a user who may not edit the plan.
    """
    db = open_database(database)
    try:
        act_as(db, actor, source=f"file:{document.file_name}")
        require_acting(db, Action.EDIT_PLAN, what=f"的大纲（导入“{document.file_name}”）")
        yield Progress(0, 3, "备份数据库")
        backup_before_import(db, "import-outline")
        yield Progress(1, 3, "写入规划大纲")
        with db.atomic():
            if plan_id is None:
                h = document.header
                plan_id = create_plan_for_file(
                    db, document.file_name, title=document.title, issuer=h.issuer,
                    doc_number=h.doc_number, issued_on=h.issued_on,
                    published_on=h.published_on).id
            change = apply_outline(db, plan_id, roots,
                                   allow_removing_linked=allow_removing_linked,
                                   source_hash=document.source_hash)
        yield Progress(3, 3, "完成")
        return plan_id, change
    finally:
        db.close()
