"""The main window: navigation between pages, menus, the plan selector and the status bar."""

from __future__ import annotations

import logging
from collections.abc import Generator
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from desktop import APP_TITLE, __version__
from desktop.models.audit import verify_job
from desktop.models.permissions import Action, act_as, record_acting_event
from desktop.models.progress import Progress
from desktop.models.sentences import SentenceIndicator
from desktop.models.store import backup_database, open_database, schema_version
from desktop.models.users import Role
from desktop.views.context import AppContext
from desktop.views.feedback import show_error
from desktop.views.pages.dashboard import DashboardPage
from desktop.views.pages.entry import EntryPage
from desktop.views.pages.inbox import InboxPage
from desktop.views.pages.indicators import IndicatorsPage
from desktop.views.pages.overview import OverviewPage
from desktop.views.pages.placeholder import PlaceholderPage
from desktop.views.pages.review import ReviewPage
from desktop.views.pages.tasks import TasksPage
from desktop.views.pages.units import UnitsPage
from desktop.views.roles import denied_reason, guard
from desktop.views.worker import JobWorker, start_background, start_job

#: Pages not built yet and what they will do.
PLANNED_PAGES: tuple[tuple[str, str], ...] = (
    ("考核", "制定年度考核方案，各所自评、区局复评，计算总分、等次和排名，生成通报。"),
    ("报表", "一键生成年度监测评估报告、考核评分表、中期和总结评估报告、任务台账 PDF。"),
    ("设置", "管理用户和角色、数据文件夹、自动备份和本机角色（区局 / 所 / 市局）。"),
)


log = logging.getLogger(__name__)

class MainWindow(QMainWindow):
    """Left navigation, a stack of pages, and menus that reach every page by keyboard."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(f"PlanDesk {APP_TITLE}")
        self._worker: JobWorker | None = None

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(150)
        self.pages = QStackedWidget()
        self.indicators_page = IndicatorsPage(context)
        self.tasks_page = TasksPage(context)
        self.units_page = UnitsPage(context)
        self.inbox_page = InboxPage(context)
        self.entry_page = EntryPage(context)
        self.review_page = ReviewPage(context)
        self.overview_page = OverviewPage(context, self.load_demo)
        self.dashboard_page = DashboardPage(context)
        built: list[QWidget] = [
            self.overview_page,
            self.indicators_page,
            self.tasks_page,
            self.units_page,
            self.inbox_page,
            self.entry_page,
            self.review_page,
            self.dashboard_page,
        ]
        self.tasks_page.new_indicator_requested.connect(self._on_new_indicator_requested)
        self.inbox_page.open_entry.connect(self.open_entry)
        self.review_page.import_requested.connect(self.import_returns_dialog)
        self.entry_page.status_message.connect(self._show_status)
        self.review_page.status_message.connect(self._show_status)
        self.dashboard_page.open_entry.connect(self.open_entry)
        self.dashboard_page.open_task.connect(self.open_task)
        self.dashboard_page.status_message.connect(self._show_status)
        planned = [PlaceholderPage(title, purpose) for title, purpose in PLANNED_PAGES]
        for page in (*built, *planned):
            title = str(getattr(page, "title", ""))
            self.pages.addWidget(page)
            QListWidgetItem(title, self.nav)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        central = QWidget()
        row_layout = QHBoxLayout(central)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.setSpacing(0)
        row_layout.addWidget(self.nav)
        row_layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.plan_box = QComboBox()
        self.plan_box.setMinimumWidth(420)
        self.plan_box.currentIndexChanged.connect(self._on_plan_box_changed)
        toolbar = QToolBar("规划")
        toolbar.setObjectName("planToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(" 当前规划："))
        toolbar.addWidget(self.plan_box)
        self.addToolBar(toolbar)

        self._build_menus()
        self.user_label = QLabel()
        self.user_label.setObjectName("userLabel")
        self.db_label = QLabel()
        self.audit_label = QLabel()
        self.audit_label.setObjectName("auditWarning")
        self.audit_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.audit_label.hide()
        self.statusBar().addPermanentWidget(self.audit_label)
        self.statusBar().addPermanentWidget(self.user_label)
        self.statusBar().addPermanentWidget(self.db_label)
        context.plan_changed.connect(self._on_plan_changed)
        context.plan_changed.connect(self._apply_role)
        context.actor_changed.connect(self._on_actor_changed)
        context.edit_failed.connect(lambda exc: show_error(self, exc))
        self._on_plan_changed()
        self._on_actor_changed()
        self._restore_geometry()
        self._audit_worker: JobWorker | None = None
        self.check_audit_trail()

    # the audit trail ---------------------------------------------------
    def check_audit_trail(self) -> None:
        """Verify the audit chain off the UI thread; a break is shown and put on record."""
        self.audit_label.hide()
        path = self.context.path
        if path is None:
            return
        self._audit_worker = start_background(
            lambda: verify_job(path), lambda broken: self._on_audit_checked(path, broken),
            lambda exc: log.warning("audit check of %s failed: %s", path, exc))

    def _on_audit_checked(self, path: Path, broken: list[int]) -> None:
        self._audit_worker = None
        if not broken or path != self.context.path:
            return
        ids = "、".join(map(str, broken[:10])) + (f" 等 {len(broken)} 条" if len(broken) > 10
                                                  else "")
        log.error("audit chain of %s broken at %s", path, broken[:50])
        self.audit_label.setText(f"审计记录异常：第 {ids} 条")
        self.audit_label.setToolTip("这些审计记录与其内容或前一条的校验值不符，数据库可能在 "
                                    "PlanDesk 之外被改动过。运行 plandesk audit verify 查看详情。")
        self.audit_label.show()
        with self.context.db.atomic():
            record_acting_event(self.context.db, "audit.broken", "audit_event",
                                new={"broken": broken[:200], "count": len(broken)})
        box = QMessageBox(QMessageBox.Icon.Warning, "审计记录被改动",
                          f"审计记录中第 {ids} 条与其内容或前一条记录的校验值不符：数据库可能在 "
                          "PlanDesk 之外被改动过。\n\n数据仍可查看和使用。请管理员核查：与备份"
                          "比对，或运行“plandesk audit verify”查看详情。此次发现已记入审计记录。",
                          QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.show()

    # pages -------------------------------------------------------------
    def page_titles(self) -> list[str]:
        return [self.nav.item(i).text() for i in range(self.nav.count())]

    def show_page(self, title: str) -> QWidget:
        row = self.page_titles().index(title)
        self.nav.setCurrentRow(row)
        page = self.pages.widget(row)
        assert page is not None
        return page

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def open_entry(self, unit_id: int, period: str) -> None:
        """Show the 填报 page at a unit and period (from the inbox or the dashboard)."""
        self.show_page("填报")
        self.entry_page.open(unit_id, period)

    def open_task(self, plan_item_id: int) -> None:
        """Show the 任务 page at a plan item (from the dashboard's warnings)."""
        self.show_page("任务")
        self.tasks_page.select_item(plan_item_id)

    def home_page(self) -> str:
        """The page a user starts on: a clerk's inbox, a reviewer's review desk."""
        role = self.context.actor.role
        if role is Role.CLERK:
            return "收件箱"
        if role is Role.REVIEWER:
            return "审核"
        return "规划总览"

    # users ---------------------------------------------------------------
    def _on_actor_changed(self) -> None:
        actor = self.context.actor
        self.setWindowTitle(f"PlanDesk {APP_TITLE} — {actor.label}")
        self.user_label.setText(f"当前用户：{actor.label}")
        self._apply_role()
        self.show_page(self.home_page())

    def _apply_role(self) -> None:
        """Disable what the user may not do, with the reason as tooltip (the models refuse too)."""
        actor = self.context.actor
        edit_plan = denied_reason(actor, Action.EDIT_PLAN)
        for action in self.edit_plan_actions:
            guard(action, edit_plan)
        for action in self.import_actions:
            guard(action, denied_reason(actor, Action.IMPORT))
        export = ("所填报员只能查看本单位的数据，不能导出全区汇总和上报工作簿。"
                  if actor.role is Role.CLERK else "")
        for action in self.export_actions:
            guard(action, export)
        guard(self.overview_page.demo_button, edit_plan)
        # the pages guard their own buttons, shortcuts and double-clicks on every refresh

    def switch_user_dialog(self, *, logging_out: bool = False) -> bool:
        """Log in as someone else; on 注销 cancelling the login closes the window."""
        from desktop.views.dialogs.login_dialog import LoginDialog

        self.entry_page.flush()
        name = self.context.path.name if self.context.path else ""
        dialog = LoginDialog(self.context.db, self, database_name=name)
        dialog.setWindowTitle("注销并重新登录" if logging_out else "切换用户")
        self.login_dialog = dialog
        if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.actor is None:
            if logging_out:
                self.close()
            return False
        self.context.set_actor(dialog.actor)
        self.statusBar().showMessage(f"已切换为 {dialog.actor.label}。", 8000)
        return True

    def log_out(self) -> None:
        self.switch_user_dialog(logging_out=True)

    def _on_new_indicator_requested(self, proposal: object, item_id: int) -> None:
        assert isinstance(proposal, SentenceIndicator)
        if self.indicators_page.create_indicator(proposal, item_id):
            self.show_page("指标")

    # menus -------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("文件(&F)")
        self._action(file_menu, "打开数据库(&O)…", QKeySequence.StandardKey.Open,
                     self.open_database_dialog)
        self._action(file_menu, "备份数据库(&B)…", "Ctrl+Shift+B", self.backup_dialog)
        file_menu.addSeparator()
        self.edit_plan_actions = [
            self._action(file_menu, "导入规划文档(&I)…", "Ctrl+I", self.import_document_dialog),
            self._action(file_menu, "导入指标表(&T)…", "Ctrl+Shift+I",
                         self.import_indicator_table_dialog),
        ]
        file_menu.addSeparator()
        self._action(file_menu, "导出规划工作簿(&E)…", "Ctrl+E", self.export_plan_dialog)
        self.edit_plan_actions.append(self._action(
            file_menu, "导入规划工作簿(&W)…", "Ctrl+Shift+W", self.import_plan_dialog))
        file_menu.addSeparator()
        self.switch_user_action = self._action(file_menu, "切换用户(&U)…", "Ctrl+Shift+U",
                                               lambda: self.switch_user_dialog())
        self.log_out_action = self._action(file_menu, "注销(&L)", None, self.log_out)
        file_menu.addSeparator()
        self._action(file_menu, "退出(&X)", QKeySequence.StandardKey.Quit, self.close)

        edit_menu = self.menuBar().addMenu("编辑(&E)")
        undo = self.context.undo_stack.createUndoAction(self, "撤销")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.context.undo_stack.createRedoAction(self, "重做")
        redo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.undo_action, self.redo_action = undo, redo

        view_menu = self.menuBar().addMenu("视图(&V)")
        for row, title in enumerate(self.page_titles()):
            key = f"Ctrl+{(row + 1) % 10}" if row < 10 else None
            self._action(view_menu, title, key,
                         lambda _checked=False, r=row: self.nav.setCurrentRow(r))

        exchange_menu = self.menuBar().addMenu("报送(&R)")
        self.edit_plan_actions.append(self._action(
            exchange_menu, "生成填报模板(&T)…", "Ctrl+T", self.templates_dialog))
        exchange_menu.addSeparator()
        self.import_actions = [
            self._action(exchange_menu, "导入报送工作簿(&I)…", "Ctrl+R",
                         self.import_returns_dialog),
            self._action(exchange_menu, "导入文件夹中的报送工作簿(&F)…", "Ctrl+Shift+R",
                         self.import_returns_folder_dialog),
        ]
        exchange_menu.addSeparator()
        self.export_actions = [
            self._action(exchange_menu, "导出全区汇总(&S)…", None, self.export_summary_dialog),
            self._action(exchange_menu, "导出上报工作簿(&U)…", None, self.export_return_dialog),
        ]

        help_menu = self.menuBar().addMenu("帮助(&H)")
        self._action(help_menu, "关于 PlanDesk(&A)", "F1", self.show_about)
        self._action(help_menu, "关于 Qt", None, lambda: QMessageBox.aboutQt(self))

    def _action(self, menu: object, text: str, shortcut: object, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        action.triggered.connect(slot)
        menu.addAction(action)  # type: ignore[attr-defined]
        return action

    def show_about(self) -> None:
        path = self.context.path
        QMessageBox.about(
            self, "关于 PlanDesk",
            f"<h3>PlanDesk {APP_TITLE}</h3><p>版本 {__version__}</p>"
            "<p>面向区县市场监管局和市场监管所的离线规划实施监测评估工具："
            "规划任务与指标、填报审核、汇总评估、考核和报告。</p>"
            f"<p>数据库：{path if path else '内存'}</p>")

    # plan selector and status -----------------------------------------
    def _on_plan_changed(self) -> None:
        self.plan_box.blockSignals(True)
        self.plan_box.clear()
        for plan in self.context.plans:
            label = plan.short_title or plan.title
            self.plan_box.addItem(f"{label}（{plan.period_label}）", plan.id)
        if self.context.plan is not None:
            self.plan_box.setCurrentIndex(self.plan_box.findData(self.context.plan.id))
        else:
            self.plan_box.addItem("（尚无规划）", None)
        self.plan_box.blockSignals(False)
        demo = " · 演示数据" if self.context.plan and self.context.plan.is_demo else ""
        self.db_label.setText(f"数据库：{self.context.path}（结构版本 "
                              f"{schema_version(self.context.db)}）{demo}")

    def _on_plan_box_changed(self, index: int) -> None:
        plan_id = self.plan_box.itemData(index)
        if plan_id is not None:
            self.context.select_plan(plan_id)

    # actions -----------------------------------------------------------
    def open_database_dialog(self) -> None:
        start = str(self.context.path.parent) if self.context.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "打开数据库", start,
                                              "PlanDesk 数据库 (*.db *.sqlite);;所有文件 (*)")
        if name:
            self.switch_database(Path(name))

    def switch_database(self, path: Path) -> bool:
        """Open another database; on a known error the current one stays open."""
        from desktop.views.dialogs.login_dialog import ask_login

        try:
            db = open_database(path)
        except Exception as exc:
            show_error(self, exc, "无法打开数据库")
            return False
        actor = None
        if self.context.actor.user_id is not None:  # users belong to their database
            actor = ask_login(db, self, database_name=path.name)
            if actor is None:
                db.close()
                return False
        self.entry_page.flush()
        self.context.undo_stack.clear()  # its edits belong to the database being closed
        self.context.db.close()
        self.context.db = db
        self.context.path = path
        QSettings().setValue("database/last", str(path))
        if actor is not None:
            self.context.actor = actor
        self.context.reload()
        if actor is not None:
            self.context.set_actor(actor)
        self.check_audit_trail()
        return True

    def backup_dialog(self) -> None:
        if self.context.path is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "备份数据库", str(self.context.path.with_suffix(".backup.db")),
            "PlanDesk 数据库 (*.db)")
        if not name:
            return
        try:
            written = backup_database(self.context.path, reason="manual", dest=Path(name))
        except Exception as exc:
            show_error(self, exc, "备份未完成")
            return
        self.statusBar().showMessage(f"已备份到 {written}", 8000)

    def load_demo(self) -> None:
        """Build the demo plan in the open (empty) database, off the UI thread."""
        path = self.context.path
        if path is None:
            return

        from desktop.models.demo import DemoSummary, build_demo  # only needed on request

        actor = self.context.actor

        def job() -> Generator[Progress, None, DemoSummary]:
            db = open_database(path)
            act_as(db, actor)  # the demo's plan is plan content: the models check the role
            try:
                return (yield from build_demo(db))
            finally:
                db.close()

        self._worker = start_job(
            self, "载入演示数据", job, lambda _summary: self.context.reload(),
            lambda exc: show_error(self, exc))

    # imports -----------------------------------------------------------
    def import_document_dialog(self) -> None:
        start = str(QSettings().value("folders/import", ""))
        name, _ = QFileDialog.getOpenFileName(self, "导入规划文档", start,
                                              "规划文档 (*.docx *.txt);;所有文件 (*)")
        if name:
            QSettings().setValue("folders/import", str(Path(name).parent))
            self.import_document(Path(name))

    def import_document(self, path: Path) -> None:
        """Read the document off the UI thread, then show the preview."""
        from desktop.documents.plan_document import read_plan_document

        def job() -> Generator[Progress, None, object]:
            yield Progress(0, 1, f"正在读取 {path.name}")
            return read_plan_document(path)

        self._worker = start_job(self, "读取规划文档", job, self._show_outline_preview,
                                 lambda exc: show_error(self, exc, "无法导入该文档"))

    def _show_outline_preview(self, document: object) -> None:
        from desktop.documents.importing import import_outline_job
        from desktop.documents.plan_document import PlanDocument
        from desktop.views.dialogs.outline_import_dialog import OutlineImportDialog

        assert isinstance(document, PlanDocument)
        dialog = OutlineImportDialog(self.context, document, self)
        self.outline_dialog = dialog
        if dialog.exec() != OutlineImportDialog.DialogCode.Accepted:
            return
        allow = False
        if dialog.change is not None and dialog.change.removed_linked:
            names = "、".join(f"{c.marker}{c.title}" for c in dialog.change.removed_linked[:8])
            answer = QMessageBox.question(
                self, "删除已分配的条目",
                f"新文档中没有以下条目，但它们已分配单位、记录了进展或关联了指标：{names}。"
                "\n\n删除这些条目（其分配和进展记录一并删除，指标保留但失去出处）？")
            if answer != QMessageBox.StandardButton.Yes:
                return
            allow = True
        path = self.context.path
        assert path is not None
        plan_id = dialog.target_plan_id()
        roots = dialog.roots
        actor = self.context.actor

        def job() -> Generator[Progress, None, object]:
            return (yield from import_outline_job(path, document, roots, plan_id,
                                                  allow_removing_linked=allow, actor=actor))

        self._worker = start_job(self, "导入规划大纲", job, self._on_outline_imported,
                                 lambda exc: show_error(self, exc, "导入未完成"))

    def _on_outline_imported(self, result: object) -> None:
        from desktop.models.outline_store import OutlineChange

        assert isinstance(result, tuple)
        plan_id, change = result
        assert isinstance(plan_id, int)
        assert isinstance(change, OutlineChange)
        self.context.reload()
        self.context.select_plan(plan_id)
        counts = change.counts()
        self.statusBar().showMessage(
            f"规划大纲已导入：新增 {counts['added']} 条，删除 {counts['removed']} 条，"
            f"修改 {counts['changed']} 条，未变 {change.unchanged} 条。导入前已自动备份。", 15000)
        self.show_page("任务")

    def _open_name(self, title: str, filters: str) -> Path | None:
        start = str(QSettings().value("folders/import", ""))
        name, _ = QFileDialog.getOpenFileName(self, title, start, filters)
        if not name:
            return None
        QSettings().setValue("folders/import", str(Path(name).parent))
        return Path(name)

    def import_indicator_table_dialog(self) -> None:
        path = self._open_name("导入指标表", "工作簿 (*.xlsx *.xls *.ods);;所有文件 (*)")
        if path:
            self.import_indicator_table(path)

    def import_indicator_table(self, path: Path) -> None:
        from desktop.excel.jobs import read_indicator_table_job

        self._worker = start_job(self, "读取指标表", lambda: read_indicator_table_job(path),
                                 self._show_indicator_preview,
                                 lambda exc: show_error(self, exc, "无法导入该工作簿"))

    def _show_indicator_preview(self, preview: object) -> None:
        from desktop.excel.indicator_table import IndicatorTablePreview
        from desktop.excel.jobs import import_indicator_table_job
        from desktop.views.dialogs.import_preview import IndicatorTablePreviewDialog

        assert isinstance(preview, IndicatorTablePreview)
        dialog = IndicatorTablePreviewDialog(preview, self.context.plans, self.context.plan,
                                             self)
        self.indicator_dialog = dialog
        if dialog.exec() != IndicatorTablePreviewDialog.DialogCode.Accepted:
            return
        path = self.context.path
        assert path is not None
        plan_id, rows = dialog.target_plan_id(), dialog.chosen_rows()
        actor = self.context.actor

        def job() -> Generator[Progress, None, object]:
            return (yield from import_indicator_table_job(path, preview, plan_id, rows,
                                                          actor=actor))

        def done(result: object) -> None:
            assert isinstance(result, tuple)
            new_plan, counts = result
            self.context.reload()
            self.context.select_plan(new_plan)
            self.statusBar().showMessage(
                f"指标已导入：新增 {counts['created']} 项，更新 {counts['updated']} 项，"
                f"未变 {counts['unchanged']} 项。导入前已自动备份。", 15000)
            self.show_page("指标")

        self._worker = start_job(self, "导入指标", job, done,
                                 lambda exc: show_error(self, exc, "导入未完成"))

    def export_plan_dialog(self) -> None:
        from desktop.excel.jobs import export_plan_job

        plan, path = self.context.plan, self.context.path
        if plan is None or path is None:
            QMessageBox.information(self, "导出规划工作簿", "当前没有可导出的规划。")
            return
        start = str(QSettings().value("folders/export", ""))
        suggested = str(Path(start) / f"{plan.short_title or plan.title}.xlsx")
        name, _ = QFileDialog.getSaveFileName(self, "导出规划工作簿", suggested, "工作簿 (*.xlsx)")
        if not name:
            return
        target = Path(name).with_suffix(".xlsx")
        QSettings().setValue("folders/export", str(target.parent))
        self._worker = start_job(
            self, "导出规划工作簿", lambda: export_plan_job(path, plan.id, target),
            lambda _result: self.statusBar().showMessage(f"已导出到 {target}", 15000),
            lambda exc: show_error(self, exc, "导出未完成"))

    def import_plan_dialog(self) -> None:
        path = self._open_name("导入规划工作簿", "工作簿 (*.xlsx *.xls *.ods);;所有文件 (*)")
        if path:
            self.import_plan_workbook(path)

    def import_plan_workbook(self, workbook: Path) -> None:
        """Check the workbook (dry run), show what it would do, then import it."""
        from desktop.excel.jobs import import_plan_job
        from desktop.excel.plan_workbook import PlanImportResult
        from desktop.views.dialogs.import_preview import ImportResultDialog

        database, actor = self.context.path, self.context.actor
        assert database is not None

        def checked(result: object) -> None:
            assert isinstance(result, PlanImportResult)
            dialog = ImportResultDialog(f"导入规划工作簿 — {workbook.name}", result.summary(),
                                        result.issues, result.ok, self)
            self.plan_import_dialog = dialog
            if dialog.exec() != ImportResultDialog.DialogCode.Accepted:
                return
            self._worker = start_job(
                self, "导入规划工作簿",
                lambda: import_plan_job(database, workbook, False, actor=actor), imported,
                lambda exc: show_error(self, exc, "导入未完成"))

        def imported(result: object) -> None:
            assert isinstance(result, PlanImportResult)
            self.context.reload()
            if result.plan_id is not None:
                self.context.select_plan(result.plan_id)
            self.statusBar().showMessage(result.summary() + " 导入前已自动备份。", 15000)

        self._worker = start_job(self, "检查规划工作簿",
                                 lambda: import_plan_job(database, workbook, True, actor=actor),
                                 checked,
                                 lambda exc: show_error(self, exc, "无法导入该工作簿"))

    # exchange with stations ---------------------------------------------
    def templates_dialog(self) -> None:
        from desktop.excel.templates import write_templates_job
        from desktop.models.orgunits import list_units
        from desktop.views.dialogs.exchange_dialogs import TemplatesDialog

        plan, path = self.context.plan, self.context.path
        if plan is None or path is None:
            QMessageBox.information(self, "生成填报模板", "请先建立或导入规划。")
            return
        dialog = TemplatesDialog(plan.years, list_units(self.context.db), self)
        self.templates_form = dialog
        if dialog.exec() != TemplatesDialog.DialogCode.Accepted:
            return
        period, unit_ids = dialog.period(), dialog.unit_ids()
        out_dir, zip_name = dialog.out_dir(), dialog.zip_name()

        def job() -> Generator[Progress, None, object]:
            db = open_database(path)
            try:
                return (yield from write_templates_job(db, plan.id, period, unit_ids, out_dir,
                                                       zip_name=zip_name))
            finally:
                db.close()

        def done(result: object) -> None:
            assert isinstance(result, list)
            self.statusBar().showMessage(
                f"已为 {len(unit_ids)} 个单位生成 {period.label} 填报模板，保存在 {out_dir}", 15000)

        self._worker = start_job(self, "生成填报模板", job, done,
                                 lambda exc: show_error(self, exc, "模板未能全部生成"))

    def import_returns_dialog(self) -> None:
        start = str(QSettings().value("folders/returns", ""))
        names, _ = QFileDialog.getOpenFileNames(
            self, "导入报送工作簿", start, "报送工作簿 (*.xlsx *.xls *.ods *.zip);;所有文件 (*)")
        if names:
            QSettings().setValue("folders/returns", str(Path(names[0]).parent))
            self.import_returns([Path(n) for n in names])

    def import_returns_folder_dialog(self) -> None:
        start = str(QSettings().value("folders/returns", ""))
        folder = QFileDialog.getExistingDirectory(self, "导入文件夹中的报送工作簿", start)
        if folder:
            QSettings().setValue("folders/returns", folder)
            self.import_returns([Path(folder)])

    def import_returns(self, paths: list[Path]) -> None:
        """Read and check the batch off the UI thread, show the preview, then import."""
        from desktop.excel.returns import ReturnsPreview, import_returns_job, preview_returns_job
        from desktop.views.dialogs.exchange_dialogs import ReturnsPreviewDialog

        database, actor = self.context.path, self.context.actor
        assert database is not None

        def previewed(result: object) -> None:
            assert isinstance(result, ReturnsPreview)
            dialog = ReturnsPreviewDialog(result, self)
            self.returns_dialog = dialog
            if dialog.exec() != ReturnsPreviewDialog.DialogCode.Accepted:
                return
            confirm, files = dialog.confirmed(), dialog.files_to_import()
            self._worker = start_job(
                self, "导入报送工作簿",
                lambda: import_returns_job(database, paths, confirm, files=files, actor=actor),
                self._on_returns_imported, lambda exc: show_error(self, exc, "导入未完成"))

        self._worker = start_job(self, "检查报送工作簿",
                                 lambda: preview_returns_job(database, paths), previewed,
                                 lambda exc: show_error(self, exc, "无法读取报送工作簿"))

    def _on_returns_imported(self, result: object) -> None:
        from desktop.excel.returns import ImportOutcome, ReturnsResult

        assert isinstance(result, ReturnsResult)
        self.context.reload()
        counts = result.counts()
        text = (f"已导入 {counts[ImportOutcome.IMPORTED.value]} 个文件，"
                f"重复未写入 {counts[ImportOutcome.DUPLICATE.value]} 个，"
                f"待确认 {counts[ImportOutcome.UNCONFIRMED.value]} 个，"
                f"拒绝 {counts[ImportOutcome.REFUSED.value]} 个。")
        if result.backup:
            text += f"导入前已备份到 {result.backup}。"
        self.statusBar().showMessage(text, 20000)
        problems = [o for o in result.outcomes
                    if o.outcome in (ImportOutcome.REFUSED, ImportOutcome.UNCONFIRMED)]
        if problems:
            details = "\n".join(f"{o.file.name}：{o.message}" for o in problems[:20])
            QMessageBox.warning(self, "部分文件未导入", f"{text}\n\n{details}")

    def export_summary_dialog(self) -> None:
        self._export_rollup("summary")

    def export_return_dialog(self) -> None:
        self._export_rollup("return")

    def _export_rollup(self, what: str) -> None:
        """Ask for a period and a file, then write the district summary or return."""
        from desktop.excel import rollup
        from desktop.views.dialogs.exchange_dialogs import PeriodDialog

        plan, path = self.context.plan, self.context.path
        if plan is None or path is None:
            QMessageBox.information(self, "导出", "请先建立或导入规划。")
            return
        title = "导出全区汇总" if what == "summary" else "导出上报工作簿"
        period_dialog = PeriodDialog(title, plan.years, self)
        self.period_dialog = period_dialog
        if period_dialog.exec() != PeriodDialog.DialogCode.Accepted:
            return
        period = period_dialog.period()
        start = str(QSettings().value("folders/export", ""))
        stem = "全区汇总" if what == "summary" else "上报"
        name, _ = QFileDialog.getSaveFileName(
            self, title, str(Path(start) / f"{stem}_{period.id}.xlsx"), "工作簿 (*.xlsx)")
        if not name:
            return
        target = Path(name).with_suffix(".xlsx")
        QSettings().setValue("folders/export", str(target.parent))
        writer = rollup.export_summary if what == "summary" else rollup.export_return

        def job() -> Generator[Progress, None, object]:
            db = open_database(path)
            try:
                yield Progress(0, 1, f"正在写入 {target.name}")
                return writer(db, plan.id, period.id, target)
            finally:
                db.close()

        def done(_result: object) -> None:
            self.statusBar().showMessage(f"{period.label}{stem}已导出到 {target}", 15000)

        self._worker = start_job(self, title, job, done,
                                 lambda exc: show_error(self, exc, "导出未完成"))

    # geometry ----------------------------------------------------------
    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            state = settings.value("window/state")
            if isinstance(state, QByteArray):
                self.restoreState(state)
            return
        self.resize(1280, 720)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.entry_page.flush()
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        super().closeEvent(event)
