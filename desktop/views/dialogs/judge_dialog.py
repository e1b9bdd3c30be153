"""评判: a reviewer's class for an indicator the numbers cannot judge (ranking, qualitative)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.models.evaluation import CLASS_ORDER, Evaluation, ProgressClass
from desktop.views.dialogs.form import FormDialog

WITHDRAW_LABEL = "撤销评判（恢复为未评价）"


class JudgeDialog(FormDialog):
    """Choose the class and write the reason (required, it goes into the audit trail)."""

    def __init__(self, evaluation: Evaluation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ind = evaluation.indicator
        self.setWindowTitle(f"评判指标 — {ind.name}")
        self.resize(560, 340)
        intro = QLabel(
            f"“{ind.name}”的目标为“{ind.target.text.strip()}”，无法由数值判断。请根据"
            f"{evaluation.unit_name}{evaluation.year}年的实际情况评定进度类别，并写明依据"
            "（如排名、验收结论、文件号）。评判记入审计记录。")
        intro.setWordWrap(True)
        self.progress_class = QComboBox()
        for cls in CLASS_ORDER:
            self.progress_class.addItem(cls.label, cls.value)
        if evaluation.judged_by:
            self.progress_class.addItem(WITHDRAW_LABEL, "")
        if evaluation.progress_class is not None:
            self.progress_class.setCurrentIndex(CLASS_ORDER.index(evaluation.progress_class))
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("评判依据（必填），例如：2024 年全市考核排名第 3。")
        if evaluation.judged_by and evaluation.note.startswith("审核员评判："):
            self.note.setPlainText(evaluation.note.removeprefix("审核员评判："))
        form = QFormLayout()
        form.addRow("进度类别：", self.progress_class)
        form.addRow("评判依据：", self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def chosen(self) -> ProgressClass | None:
        """The class chosen; None to withdraw the judgement."""
        value = self.progress_class.currentData()
        return ProgressClass(value) if value else None

    def text(self) -> str:
        return self.note.toPlainText().strip()

    def problems(self) -> list[str]:
        if self.chosen() is not None and len(self.text()) < 2:
            return ["请写明评判依据（必填）。"]
        return []
