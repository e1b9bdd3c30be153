"""Reading plan documents (.txt, .docx) into paragraphs with formatting. Never imports Qt."""

from __future__ import annotations

from desktop.documents.plan_document import PlanDocument, read_plan_document

__all__ = ["PlanDocument", "read_plan_document"]
