"""Logging in, and creating the administrator on the very first start."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget
from sqlite_utils import Database

from desktop import APP_TITLE
from desktop.models.auth import Actor, authenticate, create_first_admin
from desktop.models.errors import PlanDeskError
from desktop.models.users import MIN_PASSWORD_LENGTH
from desktop.views.dialogs.form import FormDialog


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class LoginDialog(FormDialog):
    """用户名 and 密码; a refused login keeps the dialog open with the reason below the fields.

    After ``exec()`` returns Accepted, ``actor`` is the logged-in user.
    """

    def __init__(self, db: Database, parent: QWidget | None = None, *,
                 username: str = "", database_name: str = "") -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle(f"登录 — PlanDesk {APP_TITLE}")
        self.setMinimumWidth(460)
        heading = QLabel(f"PlanDesk {APP_TITLE}")
        heading.setObjectName("pageTitle")
        hint = QLabel("请用您的账号登录。" + (f"数据库：{database_name}" if database_name else ""))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        self.username = QLineEdit(username)
        self.username.setPlaceholderText("例如 s01")
        self.password = _password_field()
        self.buttons.button(self.buttons.StandardButton.Ok).setText("登录")
        form = QFormLayout(self)
        form.addRow(heading)
        form.addRow(hint)
        form.addRow("用户名：", self.username)
        form.addRow("密码：", self.password)
        form.addRow(self.error)
        form.addRow(self.buttons)
        (self.password if username else self.username).setFocus(Qt.FocusReason.OtherFocusReason)

    def problems(self) -> list[str]:
        if not self.username.text().strip():
            return ["请输入用户名。"]
        if not self.password.text():
            return ["请输入密码。"]
        return []

    def _on_accept(self) -> None:
        problems = self.problems()
        if problems:
            self.error.setText(" ".join(problems))
            return
        try:
            self.actor = authenticate(self.db, self.username.text(), self.password.text())
        except PlanDeskError as exc:
            self.error.setText(exc.user_message)
            self.password.clear()
            self.password.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.password.clear()
        self.accept()


class FirstAdminDialog(FormDialog):
    """The first start: create the administrator (there is no default password)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle("创建管理员账号")
        self.setMinimumWidth(520)
        intro = QLabel(
            "这是第一次使用这个数据库，还没有任何用户。请创建管理员账号：管理员可以添加区局审核员、"
            "所填报员和查看者。软件没有默认密码，请牢记您设置的密码。")
        intro.setWordWrap(True)
        self.username = QLineEdit("admin")
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("例如 王科长（可不填）")
        self.password = _password_field()
        self.password.setPlaceholderText(f"至少 {MIN_PASSWORD_LENGTH} 位")
        self.repeat = _password_field()
        self.buttons.button(self.buttons.StandardButton.Ok).setText("创建并登录")
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow("用户名：", self.username)
        form.addRow("姓名：", self.display_name)
        form.addRow("密码：", self.password)
        form.addRow("再次输入密码：", self.repeat)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def problems(self) -> list[str]:
        problems = []
        if not self.username.text().strip():
            problems.append("请填写用户名。")
        if len(self.password.text()) < MIN_PASSWORD_LENGTH:
            problems.append(f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。")
        elif self.password.text() != self.repeat.text():
            problems.append("两次输入的密码不一致，请重新输入。")
        return problems

    def _on_accept(self) -> None:
        problems = self.problems()
        if problems:
            self.error.setText(" ".join(problems))
            return
        try:
            self.actor = create_first_admin(self.db, self.username.text(), self.password.text(),
                                            self.display_name.text())
        except PlanDeskError as exc:
            self.error.setText(exc.user_message)
            return
        self.accept()


def ask_login(db: Database, parent: QWidget | None = None, *, username: str = "",
              database_name: str = "") -> Actor | None:
    """The first administrator when there is no user yet, else the login; None if cancelled."""
    from desktop.models.auth import has_users

    if not has_users(db):
        first = FirstAdminDialog(db, parent)
        return first.actor if first.exec() == FirstAdminDialog.DialogCode.Accepted else None
    dialog = LoginDialog(db, parent, username=username, database_name=database_name)
    return dialog.actor if dialog.exec() == LoginDialog.DialogCode.Accepted else None
