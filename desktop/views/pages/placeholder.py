"""A page for a capability that is not built yet; it says so plainly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPage(QWidget):
    """Names the page, says it is not built yet, and what it will do."""

    def __init__(self, title: str, purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        notice = QLabel("此功能尚未建成，将在后续版本中提供。")
        notice.setObjectName("notBuilt")
        notice.setStyleSheet("color: #8a5a00; font-size: 15px; padding: 8px 0;")
        body = QLabel(f"建成后可以：{purpose}")
        body.setWordWrap(True)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(heading)
        layout.addWidget(notice)
        layout.addWidget(body)
        layout.addStretch(1)
        self.notice = notice
