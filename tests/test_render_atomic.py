"""rendered/ is replaced atomically: a render killed at any line of the writer leaves every environment whole and
all environments of one render from the same generation; concurrent renders are serialised; leftovers recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modelfleet.render import write
from modelfleet.render.write import OWNER_MARKER, RenderError, write_output
from tests.conftest import ROOT

ENVS = ("dev", "prod", "staging")


def generation(tag: str, envs=ENVS) -> dict[str, dict[str, str]]:
    """Trees whose every file names its generation; a different file set per generation (pruning shows too)."""
    return {env: {**{f"object-{tag}-{index}.yaml": f"{tag} {env} {index}\n" for index in range(3)}, "kustomization.yaml": f"{tag} {env}\n",
                  OWNER_MARKER: f"{env}\n"} for env in envs}


def read_output(out: Path) -> dict[str, dict[str, str]]:
    return {env.name: {str(path.relative_to(env)): path.read_text() for path in sorted(env.rglob("*")) if path.is_file()}
            for env in sorted(out.iterdir())}


def write_killed_at(out: Path, kill_at: int, trees: dict) -> tuple[int, int]:
    """Write `trees` in a forked child that SIGKILLs itself at the `kill_at`-th line the writer executes (0: never).
    Returns the child's wait status and, when it was not killed, how many writer lines it ran."""
    read, written = os.pipe()
    child = os.fork()
    if child == 0:  # the child: trace the writer's lines, die at the chosen one
        os.close(read)
        count = [0]

        def local(frame, event, arg):
            if event == "line":
                count[0] += 1
                if count[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return local

        sys.settrace(lambda frame, event, arg: local if frame.f_code.co_filename == write.__file__ else None)
        write.write_output(out, trees)
        sys.settrace(None)
        os.write(written, str(count[0]).encode())
        os._exit(0)
    os.close(written)
    _, status = os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        lines = pipe.read()
    return status, int(lines or 0)


@pytest.mark.parametrize("rendered_envs", [ENVS, ("dev", "staging")], ids=["every-env", "two-of-three"])
def test_a_kill_at_any_line_leaves_every_environment_whole_and_one_generation(tmp_path, rendered_envs):
    old, new = generation("A"), {**generation("A"), **generation("B", rendered_envs)}
    out = tmp_path / "rendered"
    write_output(out, old)
    status, lines = write_killed_at(out, 0, new)  # never killed: how many lines the writer runs
    assert os.waitstatus_to_exitcode(status) == 0 and lines > 20
    assert read_output(out) == new
    outcomes = set()
    for kill_at in range(1, lines + 1):
        write_output(out, old)
        status, _ = write_killed_at(out, kill_at, new)
        assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL, kill_at
        seen = read_output(out)
        assert seen in (old, new), f"killed at line {kill_at} of {lines}: a mixed or partial output"
        outcomes.add("new" if seen == new else "old")
        write_output(out, new)  # the next render recovers whatever the killed one left
        assert read_output(out) == new
        assert sorted(path.name for path in tmp_path.iterdir()) == [".rendered.lock", "rendered"], kill_at
    assert outcomes == {"old", "new"}  # kills landed both before and after the switch


def test_concurrent_renders_are_serialised(tmp_path):
    """Two processes write different generations at once, many times: the output is always one of them, whole."""
    out = tmp_path / "rendered"
    script = ("import sys, pathlib; sys.path.insert(0, %r); from modelfleet.render.write import write_output; "
              "from tests.test_render_atomic import generation; "
              "[write_output(pathlib.Path(sys.argv[1]), generation(sys.argv[2])) for _ in range(15)]") % str(ROOT)
    for _ in range(3):
        writers = [subprocess.Popen([sys.executable, "-c", script, str(out), tag], cwd=ROOT) for tag in ("A", "B")]
        assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
        assert read_output(out) in (generation("A"), generation("B"))
        assert sorted(path.name for path in tmp_path.iterdir()) == [".rendered.lock", "rendered"]


def test_a_retired_output_left_between_the_fallback_renames_is_restored(tmp_path):
    out = tmp_path / "rendered"
    write_output(out, generation("A"))
    os.replace(out, tmp_path / ".rendered.retired-4242")  # a crash between the two renames of the fallback
    (tmp_path / ".rendered.staging-4242").mkdir()          # and its half-written new tree
    write_output(out, generation("B", ("dev",)))
    assert read_output(out) == {**generation("A"), **generation("B", ("dev",))}
    assert sorted(path.name for path in tmp_path.iterdir()) == [".rendered.lock", "rendered"]


def test_the_fallback_without_an_atomic_exchange_gives_the_same_output(tmp_path, monkeypatch):
    monkeypatch.setattr(write, "_exchange", lambda first, second: False)
    out = tmp_path / "rendered"
    write_output(out, generation("A"))
    write_output(out, generation("B", ("prod",)))
    assert read_output(out) == {**generation("A"), **generation("B", ("prod",))}
    assert sorted(path.name for path in tmp_path.iterdir()) == [".rendered.lock", "rendered"]


def test_refuses_outputs_it_does_not_own_and_writes_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RenderError, match="is a file, not a directory; choose another --out"):
        write_output(tmp_path / "file", generation("A"))
    mixed = tmp_path / "mixed"
    write_output(mixed, generation("A"))
    (mixed / "notes.txt").write_text("mine")
    with pytest.raises(RenderError, match=r"holds entries modelfleet did not write \(notes.txt\); choose another --out or remove them"):
        write_output(mixed, generation("B"))
    assert (mixed / "notes.txt").read_text() == "mine" and read_output(mixed)["dev"] == generation("A")["dev"]
    assert not (tmp_path / ".file.lock").exists()


def test_an_unwritable_parent_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RenderError, match=r"cannot write .*file: (File exists|Not a directory); .*rendered was left as it was"):
        write_output(tmp_path / "file" / "rendered", generation("A"))


def test_a_full_disk_is_a_clear_error_and_leaves_the_old_output(tmp_path, monkeypatch):
    out = tmp_path / "rendered"
    write_output(out, generation("A"))
    real_write = Path.write_bytes
    calls = []

    def full_disk(self, data):
        calls.append(self)
        if len(calls) > 4:
            raise OSError(28, "No space left on device", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(RenderError, match=r"cannot write .*: No space left on device; .*rendered was left as it was"):
        write_output(out, generation("B"))
    monkeypatch.undo()
    assert read_output(out) == generation("A")
    assert sorted(path.name for path in tmp_path.iterdir()) == [".rendered.lock", "rendered"]
