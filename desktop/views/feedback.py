"""Messages to the user: known errors in Chinese, unexpected ones with the log's path."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop.logs import log_file
from desktop.models.errors import PlanDeskError

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, exc: BaseException, title: str = "操作未完成") -> None:
    """Show a known error's Chinese message, or a bug report pointing at the log."""
    if isinstance(exc, PlanDeskError):
        log.warning("%s: %s", type(exc).__name__, exc.detail)
        QMessageBox.warning(parent, title, exc.user_message)
        return
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    QMessageBox.critical(
        parent, "程序错误",
        "PlanDesk 遇到了一个意外错误，已记录到日志文件：\n"
        f"{log_file()}\n\n请把该文件发给技术支持。您已保存的数据不受影响。\n\n"
        f"（{type(exc).__name__}: {exc}）",
    )


def install_excepthook(*, interactive: bool = True) -> None:
    """Log any uncaught exception and show it in a dialog instead of dying silently.

    Without a user to answer a dialog (``--smoke``, offscreen), the error goes to stderr and
    the application exits with status 1 instead of waiting on a modal box forever.
    """

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        log.error("uncaught exception:\n%s", text)
        if not interactive:
            print(f"PlanDesk 程序错误（日志：{log_file()}）：\n{text}", file=sys.stderr)  # noqa: T201
            app = QApplication.instance()
            if app is not None:
                app.exit(1)
            else:
                sys.exit(1)
            return
        if QApplication.instance() is not None:
            show_error(QApplication.activeWindow(), exc)

    sys.excepthook = hook
