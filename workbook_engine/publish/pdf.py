"""PDF through LibreOffice headless, with the table of contents refreshed.

A plain ``soffice --convert-to pdf`` prints the TOC field's cached text (LibreOffice 7 ignores Word's
updateFields flag), so we run a small Basic macro instead: it opens each document hidden, updates every
index twice (the second pass sees the page numbers the first one shifted) and exports the PDF. The macro
lives in a private, throw-away LibreOffice profile (with the child's TMPDIR and copies of the documents in
the same work folder, removed on every path: no lock or temp file beside the outputs), so runs in parallel and the user's own LibreOffice
settings never interfere. One LibreOffice start converts all documents of a run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

from ..errors import ExternalToolError
from ..io.atomic import atomic_path
from ..io.interrupts import start_child, stop_child

START_TIMEOUT = 120      # seconds for LibreOffice to create its profile
SECONDS_PER_DOCUMENT = 60

MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub ExportOne(src As String, dst As String)
  On Error Goto Failed
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot;
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(src, &quot;_blank&quot;, 0, load())
  indexes = doc.getDocumentIndexes()
  For pass = 1 To 2
    For i = 0 To indexes.getCount() - 1
      indexes.getByIndex(i).update()
    Next
  Next
  Dim store(0) As New com.sun.star.beans.PropertyValue
  store(0).Name = &quot;FilterName&quot;
  store(0).Value = &quot;writer_pdf_Export&quot;
  doc.storeToURL(dst, store())
  doc.close(True)
  Exit Sub
Failed:
  If Not IsNull(doc) And Not IsEmpty(doc) Then doc.close(True)
End Sub

Sub ExportAll(listUrl As String)
  n = FreeFile
  Open ConvertFromURL(listUrl) For Input As #n
  Do While Not EOF(n)
    Line Input #n, entry
    If Len(entry) &gt; 0 Then
      parts = Split(entry, Chr(9))
      ExportOne(parts(0), parts(1))
    End If
  Loop
  Close #n
End Sub
</script:module>
"""


# Chinese fonts the document names -> the installed font LibreOffice should print them in. Without this table
# LibreOffice's own fallback picks a Japanese face (Noto Sans CJK JP) for 宋体 and 仿宋 on a Linux server.
FONT_REPLACEMENTS = {"宋体": "Noto Serif CJK SC", "SimSun": "Noto Serif CJK SC", "仿宋": "Noto Serif CJK SC",
                     "仿宋_GB2312": "Noto Serif CJK SC", "FangSong": "Noto Serif CJK SC", "楷体": "Noto Serif CJK SC",
                     "黑体": "Noto Sans CJK SC", "SimHei": "Noto Sans CJK SC"}


def installed_families() -> set[str]:
    """Font families fontconfig knows (empty when fc-list is missing: then nothing is replaced)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return set()
    try:
        listed = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def font_replacement_items(installed: set[str], replacements: dict[str, str] | None = None) -> str:
    """Registry items of LibreOffice's font replacement table (Tools > Options > Fonts), for the fonts the
    document names that are not installed, to replacements that are."""
    pairs = [(font, target) for font, target in (replacements or FONT_REPLACEMENTS).items()
             if font not in installed and target in installed]
    if not pairs:
        return ""
    items = ['<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
             '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>']
    for number, (font, target) in enumerate(pairs):
        items.append(
            '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
            f'<node oor:name="_{number}" oor:op="replace">'
            '<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
            '<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
            f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{font}</value></prop>'
            f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{target}</value></prop>'
            "</node></item>")
    return "".join(items)


def _replace_fonts(profile: Path, replacements: dict[str, str] | None = None) -> None:
    """Add the font replacement table to a LibreOffice profile made by --terminate_after_init."""
    registry = profile / "user" / "registrymodifications.xcu"
    items = font_replacement_items(installed_families(), replacements)
    if not items or not registry.exists():
        return
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("</oor:items>", items + "</oor:items>"), encoding="utf-8")


def soffice() -> str | None:
    """The LibreOffice executable, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    found = soffice()
    if found is None:
        raise ExternalToolError("找不到 LibreOffice（soffice），无法生成 PDF。请安装 LibreOffice 后重试"
                                "（如 apt-get install libreoffice-writer fonts-noto-cjk），"
                                "或去掉 --pdf，在 Word/WPS 中打开 .docx 更新目录后另存为 PDF。")
    return found


def _run(command: list[str], timeout: float, poll: Callable[[], None] | None = None,
         temp: Path | None = None) -> None:
    """Run LibreOffice, calling ``poll`` twice a second (progress); stop it on timeout or interruption.

    ``temp``: the child's TMPDIR, inside the run's work folder, so its temp files go when the folder does."""
    env = None
    if temp is not None:
        temp.mkdir(exist_ok=True)
        env = {**os.environ, "TMPDIR": str(temp), "TMP": str(temp), "TEMP": str(temp)}
    try:
        process = start_child(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=env)
    except OSError as exc:
        raise ExternalToolError(f"无法启动 LibreOffice（{exc.strerror or exc}）。") from None
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise ExternalToolError(f"LibreOffice 在 {int(timeout)} 秒内没有完成 PDF 转换。"
                                        "请关闭其他 LibreOffice 窗口后重试。")
            if poll is not None:
                poll()
            time.sleep(0.5)
    except BaseException:  # timeout, error, Ctrl-C, SIGTERM/SIGHUP: soffice and its soffice.bin go too
        stop_child(process)
        raise
    if process.returncode != 0:
        message = " ".join((process.stderr.read() if process.stderr else b"").decode("utf-8", "replace").split())
        raise ExternalToolError(f"LibreOffice 转换 PDF 失败（退出码 {process.returncode}{'：' + message[:200] if message else ''}）。")


def convert_to_pdf(pairs: Iterable[tuple[Path, Path]], *, inputs: Iterable[Path] = (),
                   progress: Callable[[int], None] | None = None, overwrite: bool = False) -> list[Path]:
    """Convert each .docx to its PDF (written atomically); returns the PDFs written.

    ``progress`` is told how many PDFs LibreOffice has produced so far, while it works."""
    pairs = list(pairs)
    if not pairs:
        return []
    executable = require_soffice()
    with tempfile.TemporaryDirectory(prefix="wbe-pdf-", ignore_cleanup_errors=True) as work:
        work_dir = Path(work)
        temp = work_dir / "tmp"
        profile = work_dir / "profile"
        base = [executable, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                "--nologo", "--nodefault"]
        _run([*base, "--terminate_after_init"], START_TIMEOUT, temp=temp)
        _replace_fonts(profile)
        module = profile / "user" / "basic" / "Standard" / "Module1.xba"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(MACRO, encoding="utf-8")
        produced = [work_dir / f"out-{n}.pdf" for n in range(len(pairs))]
        sources = [work_dir / f"in-{n}.docx" for n in range(len(pairs))]
        for (src, _), copy in zip(pairs, sources):  # LibreOffice's .~lock files land here, not beside the outputs
            shutil.copyfile(src, copy)
        listing = work_dir / "list.txt"
        listing.write_text("".join(f"{copy.as_uri()}\t{out.as_uri()}\n"
                                   for copy, out in zip(sources, produced)), encoding="ascii")

        def count() -> None:
            if progress is not None:
                progress(sum(1 for out in produced if out.exists()))

        _run([*base, f'macro:///Standard.Module1.ExportAll("{listing.as_uri()}")'],
             START_TIMEOUT + SECONDS_PER_DOCUMENT * len(pairs), count, temp=temp)
        written: list[Path] = []
        for (src, target), out in zip(pairs, produced):
            if not out.exists() or out.stat().st_size == 0:
                raise ExternalToolError(f"LibreOffice 未能生成 {target}。请在 LibreOffice 中打开对应的 .docx 检查。")
            with atomic_path(target, inputs=[*inputs, src], overwrite=overwrite) as temp:
                shutil.copyfile(out, temp)
            written.append(Path(target))
        return written
