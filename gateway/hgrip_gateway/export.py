"""The export of the institution's backup list (备份列表) as CSV or XLSX, streamed.

The gateway never holds the file: ``batches`` asks backups for the list's rows a batch at a time
(``institution_backups_export``, a keyset cursor), and each batch is written out as it comes —
CSV as chunks of text (UTF-8 with a BOM, so that Excel reads Chinese correctly), XLSX through
xlsxwriter's constant-memory mode into a temporary file that is streamed and then deleted (a
workbook is a zip: its directory comes last, so the file is whole only at the end).
"""
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import eventlet
import xlsxwriter

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
BATCH = 1000             # rows asked of backups at a time
CHUNK = 64 * 1024        # bytes of the XLSX file sent at a time
STATUS_ZH = {"completed": "已完成", "draft": "未完成"}


def beijing(moment: str | None) -> str:
    """An ISO time as Beijing time, ``2023-06-27 11:26:27``; blank for none."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _delegate(item: dict) -> str:
    delegate = item.get("delegate")
    return f"{delegate['name']} ({delegate['username']})" if delegate else ""


# (中文, English, value of a list item): the list's columns, then 单位, status and the filing warning.
COLUMNS: list[tuple[str, str, Callable[[dict], object]]] = [
    ("备份号", "Backup number", lambda item: item["backup_number"] or ""),
    ("备份名称", "Backup name", lambda item: item["name"]),
    ("备案号", "Filing numbers", lambda item: "; ".join(item["filing_numbers"])),
    ("项目负责人", "Principal investigator", lambda item: item["pi_name"]),
    ("委托人", "Delegate", _delegate),
    ("创建时间", "Created (Beijing time)", lambda item: beijing(item["created_at"])),
    ("提交时间", "Submitted (Beijing time)", lambda item: beijing(item["submitted_at"])),
    ("单位", "Unit", lambda item: (item.get("unit") or {}).get("name") or ""),
    ("完成情况", "Status", lambda item: STATUS_ZH.get(item["status"], item["status"])),
    ("文件数", "Files", lambda item: item["file_count"]),
    ("总大小(MB)", "Total size (MB)", lambda item: item["total_mb"]),
    ("备案量超出申报", "Filing exceeds declared volume", lambda item: "是 Yes" if item["filing_warning"] else ""),
]
HEADER = ["序号 No."] + [f"{zh} {en}" for zh, en, _ in COLUMNS]


def rows(batches: Iterable[list[dict]]) -> Iterator[list[list]]:
    """Each batch of list items as rows of cells, numbered from 1 (序号) across batches."""
    number = 0
    for items in batches:
        out = []
        for item in items:
            number += 1
            out.append([number] + [value(item) for _, _, value in COLUMNS])
        yield out


def filename(fmt: str, status: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(BEIJING)).astimezone(BEIJING).strftime("%Y%m%d-%H%M%S")
    tab = "已完成" if status == "completed" else "未完成"
    return f"备份列表-{tab}-{stamp}.{fmt}"


def content_disposition(name: str) -> str:
    """An attachment with an ASCII fallback name and the real one as RFC 6266/5987 ``filename*``."""
    fallback = "backups-" + name.rsplit("-", 2)[-2] + "-" + name.rsplit("-", 1)[-1]
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _safe_text(value):
    """A cell a spreadsheet would read as a formula (=, +, -, @ first) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_chunks(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """The header, then one chunk per batch; UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for batch in rows(batches):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([[_safe_text(cell) for cell in row] for row in batch])
        yield buffer.getvalue().encode("utf-8")
        eventlet.sleep(0)   # let the gateway's other requests run between batches


def xlsx_chunks(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """The workbook written row by row (constant memory: a row is flushed once the next begins)
    into a temporary file, then that file in chunks; the file is deleted however the stream ends."""
    handle, path = tempfile.mkstemp(prefix="hgrip-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "tmpdir": tempfile.gettempdir()})
        sheet = workbook.add_worksheet("备份列表")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, HEADER, bold)
        line = 1
        for batch in rows(batches):
            for row in batch:
                for column, cell in enumerate(row):
                    if isinstance(cell, str):
                        sheet.write_string(line, column, cell)
                    else:
                        sheet.write_number(line, column, cell)
                line += 1
            eventlet.sleep(0)
        workbook.close()
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def batches(fetch: Callable[[list | None], dict], first: dict) -> Iterator[list[dict]]:
    """The items of ``first`` and of every following batch ``fetch(after)`` answers."""
    batch = first
    while True:
        yield batch["items"]
        if batch.get("next") is None:
            return
        batch = fetch(batch["next"])
