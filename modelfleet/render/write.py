"""Replace the output directory (rendered/) with the trees of one render, atomically and one render at a time.

A GitOps engine prunes what disappears from its tree, so a crash must never leave an environment missing or
half-written, nor some environments of a render new and others old. The new output directory is built whole
beside the old one (environments not rendered this time are carried over as hard links), then the two are
exchanged in one step with Linux `renameat2(RENAME_EXCHANGE)`: before that call every reader sees the old
output, after it the new one. Where the call is unavailable (another OS, a file system without it) the fallback
is two renames; a crash between them leaves the old output under a recovery name that the next render puts
back before doing anything else.

Renders into one directory are serialised by an advisory lock on `.<out>.lock` beside it (a second render
waits). Leftovers of an interrupted render (`.<out>.staging-<pid>`, `.<out>.retired-<pid>`) are removed or
recovered by the next render. The guarantee covers a killed process; surviving a power loss would also need
fsync of every file and directory, which this writer does not do.

Only directories modelfleet wrote are replaced: each environment tree carries a marker file, and the output
directory may hold nothing but such trees.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import sys
from pathlib import Path

OWNER_MARKER = ".modelfleet-rendered"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class RenderError(Exception):
    """The output cannot be written: a directory modelfleet does not own, a file in the way, a full disk, ..."""


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directory entries in one step; False where the system cannot (the caller falls back)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(first))


def _foreign_entries(out: Path) -> list[str]:
    """Entries of an existing output directory that are not environment trees modelfleet wrote."""
    if not out.is_dir():
        return [out.name]
    return sorted(entry.name for entry in out.iterdir() if not (entry.is_dir() and (entry / OWNER_MARKER).is_file()))


def _recover(out: Path) -> None:
    """Undo what an interrupted render left: put a retired output back if the output is missing, drop the rest."""
    leftovers = sorted(out.parent.glob(f".{out.name}.retired-*")) + sorted(out.parent.glob(f".{out.name}.staging-*"))
    for leftover in leftovers:
        if leftover.name.startswith(f".{out.name}.retired-") and not out.exists():
            os.replace(leftover, out)
        else:
            shutil.rmtree(leftover)


def _carry_over(old: Path, new: Path) -> None:
    """An environment tree not rendered this time, into the new output: hard links, or copies where links fail."""
    shutil.copytree(old, new, copy_function=_link_or_copy)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _write_files(tree: Path, files: dict[str, str]) -> None:
    tree.mkdir()
    for name, content in sorted(files.items()):
        path = tree / name
        if path.parent != tree:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))


def _lock(out: Path):
    """Hold the render lock of `out` (blocking, with a message while another render holds it)."""
    handle = open(out.parent / f".{out.name}.lock", "a+b")  # noqa: SIM115 - held until the render ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"waiting for another render into {out} to finish", file=sys.stderr)
        fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def check_writable(out: Path, envs: list[str]) -> None:
    """Refuse, before anything is written, an output modelfleet does not own."""
    if out.exists() and not out.is_dir():
        raise RenderError(f"{out} is a file, not a directory; choose another --out")
    foreign = _foreign_entries(out) if out.exists() else []
    if foreign:
        listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        which = [name for name in foreign if name in envs]
        detail = f"{out / which[0]} exists and was not written by modelfleet (no {OWNER_MARKER})" if which else f"{out} holds entries modelfleet did not write ({listed})"
        raise RenderError(f"{detail}; choose another --out or remove them")


def write_output(out: Path, trees: dict[str, dict[str, str]]) -> None:
    """Make `out` hold exactly `trees` (environment -> file name -> text) plus the environments already there
    that were not rendered this time, all in one atomic step."""
    check_writable(out, list(trees))  # refuse before creating anything, the lock file included
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _lock(out):
            _recover(out)
            check_writable(out, list(trees))
            _replace(out, trees)
    except OSError as error:
        raise RenderError(f"cannot write {error.filename or out}: {error.strerror or error}; {out} was left as it was") from None


def _replace(out: Path, trees: dict[str, dict[str, str]]) -> None:
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    try:
        staging.mkdir()
        for env, files in sorted(trees.items()):
            _write_files(staging / env, files)
        if not out.exists():
            os.replace(staging, out)
            return
        for kept in sorted(out.iterdir()):
            if kept.name not in trees:
                _carry_over(kept, staging / kept.name)
        if not _exchange(staging, out):
            retired = out.parent / f".{out.name}.retired-{os.getpid()}"
            os.replace(out, retired)
            os.replace(staging, out)
            staging = retired
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the unused new tree, or the old one once replaced
