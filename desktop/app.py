"""Start the PlanDesk desktop application: fonts, translations, database, main window."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from desktop import APP_NAME, APP_TITLE, __version__
from desktop.logs import setup_logging
from desktop.paths import default_database_path, resource_path

log = logging.getLogger(__name__)
FONT_FILE = ("fonts", "WenQuanYiMicroHei.ttf")
PASSWORD_VARIABLE = "PLANDESK_PASSWORD"
#: The user the screenshots are taken as (the demo database has him; see README).
SCREENSHOT_USER = "admin"


@dataclass(frozen=True)
class Login:
    """How the start logs in: a dialog, a named user (unattended), or not at all (--smoke)."""

    user: str | None = None
    password: str | None = None
    screenshots: bool = False
    skip: bool = False


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plandesk-gui", description=f"PlanDesk {APP_TITLE}")
    parser.add_argument("--db", type=Path, help="数据库文件")
    parser.add_argument("--smoke", action="store_true",
                        help="打开数据库和主窗口后立即退出（安装检查用）")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="依次显示每个页面并截图保存到 DIR")
    parser.add_argument("--user", metavar="NAME",
                        help="以该用户登录，密码取自环境变量 PLANDESK_PASSWORD（无人值守运行用）")
    parser.add_argument("--version", action="version", version=f"PlanDesk {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging()
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationDisplayName(f"PlanDesk {APP_TITLE}")
    app.setWindowIcon(QIcon(str(resource_path("icons", "plandesk.png"))))
    install_chinese(app)

    from PySide6.QtGui import QGuiApplication

    from desktop.views.feedback import install_excepthook

    interactive = not args.smoke and QGuiApplication.platformName() not in ("offscreen", "minimal")
    install_excepthook(interactive=interactive)
    login = Login(user=args.user, password=os.environ.get(PASSWORD_VARIABLE),
                  screenshots=args.screenshots is not None, skip=args.smoke)
    window = open_main_window(args.db or default_database_path(), interactive=interactive,
                              login=login)
    if window is None:
        return 1
    if args.smoke:
        window.show()
        QTimer.singleShot(0, window.close)
        status = app.exec()
        if status != 0:
            return status
        print(f"smoke ok: {window.context.path}")  # noqa: T201 - the installer check reads it
        return 0
    if args.screenshots:
        from desktop.views.screenshots import take_screenshots

        window.show()
        QTimer.singleShot(300, lambda: take_screenshots(window, args.screenshots))
        return app.exec()
    window.show()
    return app.exec()


def install_chinese(app: object) -> None:
    """Load the bundled CJK font and Qt's own zh_CN translations."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
    from PySide6.QtGui import QFont, QFontDatabase
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    font_id = QFontDatabase.addApplicationFont(str(resource_path(*FONT_FILE)))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        font = QFont(families[0], 10)
        app.setFont(font)
    else:
        log.warning("bundled CJK font not loaded from %s", resource_path(*FONT_FILE))
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            break
    else:
        log.warning("Qt zh_CN translations not found in %s", folder)
    app.setStyleSheet(STYLE_SHEET)


def open_main_window(path: Path, *, interactive: bool = True,  # type: ignore[no-untyped-def]
                     login: Login | None = None):
    """Open the database at ``path``, log in, and open the main window.

    On a known error an interactive start asks for another file; otherwise the Chinese
    message goes to stderr and ``None`` is returned. ``None`` too when the user cancels the
    login.
    """
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from desktop.models.errors import PlanDeskError
    from desktop.models.store import open_database
    from desktop.views.context import AppContext
    from desktop.views.main_window import MainWindow

    while True:
        try:
            db = open_database(path)
            break
        except PlanDeskError as exc:
            log.warning("cannot open %s: %s", path, exc.detail)
            if not interactive:
                print(f"错误：{exc.user_message}", file=sys.stderr)  # noqa: T201
                return None
            choice = QMessageBox.warning(
                None, "无法打开数据库", f"{exc.user_message}\n\n要选择其他数据库文件吗？",
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Close)
            if choice != QMessageBox.StandardButton.Open:
                return None
            name, _ = QFileDialog.getSaveFileName(
                None, "选择或新建数据库", str(path.parent), "PlanDesk 数据库 (*.db)",
                options=QFileDialog.Option.DontConfirmOverwrite)
            if not name:
                return None
            path = Path(name)
    QSettings().setValue("database/last", str(path))
    actor = log_in(db, path, login or Login(), interactive=interactive)
    if actor is None:
        db.close()
        return None
    return MainWindow(AppContext(db, path, actor=actor))


def log_in(db: object, path: Path, login: Login, *, interactive: bool):  # type: ignore[no-untyped-def]
    """Who uses the window: the first administrator, a named user, or the login dialog.

    Returns the ``Actor``, or ``None`` when the login was cancelled or refused unattended.
    ``--smoke`` (an installation check that closes at once) does not log in.
    """
    from sqlite_utils import Database

    from desktop.models.auth import Actor, authenticate, has_users
    from desktop.models.demo import DEMO_PASSWORD
    from desktop.models.errors import PlanDeskError
    from desktop.views.dialogs.login_dialog import ask_login

    assert isinstance(db, Database)
    if login.skip:
        return Actor.command_line()
    user, password = login.user, login.password
    if login.screenshots and not user:
        user, password = SCREENSHOT_USER, password or DEMO_PASSWORD
    if user:
        try:
            return authenticate(db, user, password or "")
        except PlanDeskError as exc:
            if not interactive or login.screenshots:
                print(f"错误：{exc.user_message}", file=sys.stderr)  # noqa: T201
                return None
            log.warning("login of %s refused: %s", user, exc.detail)
    if not interactive:
        if not has_users(db):
            print("错误：数据库中还没有用户。请在图形界面中创建管理员，或用 "  # noqa: T201
                  "plandesk users create 建立用户后用 --user 登录。", file=sys.stderr)
        else:
            print(f"错误：请用 --user 用户名 指定登录的用户，密码放在环境变量 "  # noqa: T201
                  f"{PASSWORD_VARIABLE} 中。", file=sys.stderr)
        return None
    return ask_login(db, username=user or "", database_name=path.name)


STYLE_SHEET = """
QLabel#pageTitle { font-size: 20px; font-weight: bold; color: #1f4e8c; padding: 4px 0 8px 0; }
QLabel#demoBanner { background: #fff4d6; color: #6b4e00; border: 1px solid #f0d48a;
                    border-radius: 4px; padding: 6px 10px; }
QFrame#statCard { background: #f5f8fc; border: 1px solid #d5e0ee; border-radius: 6px; }
QLabel#statValue { font-size: 26px; font-weight: bold; color: #1f4e8c; }
QLabel#statCaption { font-size: 14px; color: #333; }
QLabel#statDetail { color: #666; }
QListWidget#navigation { font-size: 15px; background: #f0f3f7; border: none; }
QListWidget#navigation::item { padding: 9px 14px; }
QListWidget#navigation::item:selected { background: #1f4e8c; color: white; }
"""

if __name__ == "__main__":
    raise SystemExit(main())
