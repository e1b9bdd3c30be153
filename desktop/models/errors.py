"""Known errors with a Chinese message for the user and an English detail for the log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PlanDeskError(Exception):
    """An expected failure that the user can act on.

    ``user_message`` is a whole Chinese sentence naming the file, sheet, row and column where
    they apply; ``detail`` is English and goes to the log.
    """

    default_message = "操作未能完成。"

    def __init__(self, user_message: str | None = None, detail: str = "") -> None:
        self.user_message = user_message or self.default_message
        self.detail = detail
        super().__init__(self.user_message)


class StorageError(PlanDeskError):
    """The database file cannot be opened, read or written."""

    default_message = "无法读写数据库文件。请检查文件位置和磁盘空间。"


class NotADatabaseError(StorageError):
    """The file is not a PlanDesk database (another SQLite file, or not SQLite at all)."""

    default_message = "所选文件不是 PlanDesk 数据库，文件未作任何改动。"

    @classmethod
    def for_path(cls, path: Path, detail: str = "") -> NotADatabaseError:
        return cls(
            f"文件“{path}”不是 PlanDesk 数据库（可能已损坏，或是其他程序的文件），"
            "程序没有改动它。请选择正确的数据库文件，或从备份恢复。",
            detail,
        )


class DatabaseTooNewError(StorageError):
    """The database was written by a newer PlanDesk whose migrations this one does not know."""

    default_message = "该数据库由更新版本的 PlanDesk 创建，请升级软件后再打开。"

    @classmethod
    def for_path(cls, path: Path, unknown: list[str]) -> DatabaseTooNewError:
        return cls(
            f"数据库“{path}”由更新版本的 PlanDesk 创建（含本版本不认识的结构变更 "
            f"{', '.join(unknown)}），为保护数据，本版本不会打开或改动它。请安装最新版 PlanDesk。",
            f"unknown migrations: {unknown}",
        )


class ReadOnlyLocationError(StorageError):
    """The database or its folder cannot be written."""

    default_message = "数据库所在位置不可写入。"

    @classmethod
    def for_path(cls, path: Path, detail: str = "") -> ReadOnlyLocationError:
        return cls(
            f"无法写入“{path}”：文件或所在文件夹是只读的。"
            "请把数据库复制到有写入权限的文件夹（例如“我的文档”），或以 --db 指定其他位置。",
            detail,
        )


class DiskFullError(StorageError):
    """The disk filled up while writing."""

    default_message = "磁盘空间不足，本次操作已撤销，数据库保持原样。请清理磁盘后重试。"


class ImportFormatError(PlanDeskError):
    """An imported file does not have the expected content."""

    default_message = "导入的文件格式不正确，数据库未作改动。"


class ValidationError(PlanDeskError):
    """A value entered or imported breaks a rule."""

    default_message = "输入的值不符合要求。"


class PermissionDenied(PlanDeskError):  # noqa: N818 - the domain name reads better
    """The current user's role does not allow the action."""

    default_message = "当前用户没有执行此操作的权限。"


class NotFoundError(PlanDeskError):
    """A plan, unit or other record asked for does not exist."""

    default_message = "找不到所要的记录。"


@dataclass(frozen=True)
class ImportIssue:
    """One problem found while reading a file, located as precisely as the format allows.

    ``row`` and ``column`` are 1-based; ``column`` is the spreadsheet letter (``"C"``) for
    workbooks and ``None`` for documents, where ``row`` is the line or paragraph number.
    """

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    severity: str = "error"  # "error": the item is refused; "warning": imported, but check it
    row_unit: str = "行"  # what ``row`` counts: 行 (lines, sheet rows) or 段 (Word paragraphs)

    @property
    def location(self) -> str:
        """Chinese location such as “文件 a.xlsx，工作表 指标，第 5 行 C 列”."""
        parts = [f"文件 {self.file}"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row is not None and self.column:
            parts.append(f"第 {self.row} {self.row_unit} {self.column} 列")
        elif self.row is not None:
            parts.append(f"第 {self.row} {self.row_unit}")
        return "，".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message, "severity": self.severity}

    def __str__(self) -> str:
        return f"{self.location}：{self.message}"
