"""Stage 7, write: staged files, the manifest and its journal, hand-written files, the
docs lock, and runs that are killed, fail or run twice at once."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, copies_data_dir
from generator import write
from generator.cli import main
from generator.pipeline import PARALLEL_FROM, generate
from generator.write import JOURNAL, MANIFEST, STAGED, DocsLock, Writer, WriteError, paths_file

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


@pytest.mark.parametrize("rel", ["../outside.md", "replies/../../outside.md", "replies/link.md", "a\nb.md",
                                 "loop/x.md"])
def test_writer_refuses_to_write_outside_docs(tmp_path, rel):
    docs = tmp_path / "docs"
    (docs / "replies").mkdir(parents=True)
    (docs / "replies" / "link.md").symlink_to(tmp_path / "outside.md")
    (docs / "loop").symlink_to("loop")
    with pytest.raises(ValueError, match="outside|replies/link.md"):
        Writer(docs).write(rel, "text")
    assert not (tmp_path / "outside.md").exists()


def test_generate_link_at_generated_path_refused_and_never_followed(data_dir, tmp_path):
    """A link put where a page goes is someone else's: not written through, not removed
    through (the file it points to stays), and the run goes on."""
    docs = tmp_path / "docs"
    generate(data_dir, docs, jobs=1)
    victim = docs / "guide.md"  # a hand-written page inside docs/
    victim.write_text("手写的页面\n", encoding="utf-8")
    page = sorted((docs / "replies").glob("0*.md"))[0]
    page.unlink()
    page.symlink_to(victim)
    (docs / "replies" / "index.md").unlink()
    (docs / "replies" / "index.md").symlink_to(tmp_path / "outside.txt")
    result = generate(data_dir, docs, jobs=1)
    assert sorted(p.source for p in result.errors) == sorted([f"docs/replies/{page.name}", "docs/replies/index.md"])
    _withhold(data_dir, page.stem)  # now its path is no longer produced: the link is not ours to follow
    generate(data_dir, docs, jobs=1)
    assert victim.read_text(encoding="utf-8") == "手写的页面\n" and not (tmp_path / "outside.txt").exists()


def test_writer_stages_changed_files_until_commit(tmp_path):
    docs = tmp_path / "docs"
    writer = Writer(docs)
    assert writer.write("a/b/c.md", "one") and writer.write("top.md", "x")
    assert not (docs / "a" / "b" / "c.md").exists()  # staged only
    writer.commit(["a/b/c.md", "top.md"])
    assert (docs / "a" / "b" / "c.md").read_text(encoding="utf-8") == "one"
    assert list(paths_file(docs / JOURNAL)) == ["a/b/c.md", "top.md"]  # owned from the first rename on
    writer.finish(["a/b/c.md", "top.md"])
    assert not (docs / JOURNAL).exists() and list(paths_file(docs / MANIFEST)) == ["a/b/c.md", "top.md"]
    writer = Writer(docs)
    assert not writer.write("a/b/c.md", "one") and writer.write("a/b/c.md", "two")


def test_writer_pieces_staged_whole_and_changed_only(tmp_path):
    docs = tmp_path / "docs"
    writer = Writer(docs)
    assert writer.write("data/x.csv", iter(["a,", "b\n", "中文\n"]))
    writer.commit(["data/x.csv"])
    assert (docs / "data" / "x.csv").read_text(encoding="utf-8") == "a,b\n中文\n"
    assert not writer.write("data/x.csv", iter(["a,b\n", "中文\n"]))

    def failing():
        yield "half"
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        writer.write("data/x.csv", failing())
    assert (docs / "data" / "x.csv").read_text(encoding="utf-8") == "a,b\n中文\n"
    assert [p.name for p in (docs / "data").iterdir()] == ["x.csv"]  # nothing staged left


@pytest.mark.parametrize("text, expected", [
    ('[\n "a/b.md",\n "replies/x.md"\n]\n', ["a/b.md", "replies/x.md"]),  # a manifest: a path per line
    ('"a/b.md"\n"c.md"\n', ["a/b.md", "c.md"]),  # a journal
    ('"a.md"\n"b.m', ["a.md"]),  # a journal cut by a crash: what was whole
    ('["a/b.md", "c.md"]', ["a/b.md", "c.md"]),  # any other JSON list: read whole
    ("[]\n", []),
    ("", []),
    ('[\n "a.md",\n "b.md', ["a.md"]),
    ("{not json", []),
    ('{"a": 1}', []),
])
def test_paths_file_read_one_at_a_time(tmp_path, text, expected):
    (tmp_path / MANIFEST).write_text(text, encoding="utf-8")
    assert list(paths_file(tmp_path / MANIFEST)) == expected
    assert list(paths_file(tmp_path / "missing.json")) == []


def test_written_files_readable_by_all_under_usual_umask(tmp_path):
    """Pages are published: a web server running as another user must read them."""
    writer = Writer(tmp_path / "docs")
    writer.write("a/page.md", "text")
    writer.write("a/data.csv", iter(["x\n"]))
    writer.commit(["a/page.md", "a/data.csv"])
    for name in ("page.md", "data.csv"):
        assert (tmp_path / "docs" / "a" / name).stat().st_mode & 0o777 == write.FILE_MODE
    umask = os.umask(0)
    os.umask(umask)
    assert write.FILE_MODE == 0o666 & ~umask


def test_generate_hand_written_file_at_generated_path_refused(data_dir, tmp_path):
    docs = tmp_path / "docs"
    (docs / "replies").mkdir(parents=True)
    mine = docs / "about.md"
    mine.write_text("# 我写的关于页\n", encoding="utf-8")
    result = generate(data_dir, docs, jobs=1)
    assert mine.read_text(encoding="utf-8") == "# 我写的关于页\n"
    assert [p.source for p in result.errors] == ["docs/about.md"] and "not written by the generator" in str(result.errors[0])
    assert (docs / "index.md").exists() and len(list((docs / "replies").glob("*.md"))) == 6
    assert "about.md" not in paths_file(docs / MANIFEST)
    generate(data_dir, docs, jobs=1)  # nor taken over, nor deleted, later
    assert mine.read_text(encoding="utf-8") == "# 我写的关于页\n"


def test_generate_hand_written_file_at_a_reply_record_path_refused(data_dir, tmp_path):
    """A reply's record path is derived from its id, not listed: a file there that no run
    wrote is refused all the same, neither owned nor removed, and the rest is written."""
    docs = tmp_path / "docs"
    mine = docs / "data" / "replies" / "002_1b3f1d40111f6f91.json"
    mine.parent.mkdir(parents=True)
    mine.write_text('{"mine": true}\n', encoding="utf-8")
    result = generate(data_dir, docs, jobs=1)
    assert [p.source for p in result.errors] == ["docs/data/replies/002_1b3f1d40111f6f91.json"]
    owned = list(paths_file(docs / MANIFEST))
    assert "data/replies/002_1b3f1d40111f6f91.json" not in owned and "replies/002_1b3f1d40111f6f91.md" in owned
    assert len([rel for rel in owned if rel.startswith("data/replies/")]) == len(result.replies) - 1
    (data_dir / "replies" / "002_1b3f1d40111f6f91.txt").unlink()  # its reply gone: still not ours
    generate(data_dir, docs, jobs=1)
    assert mine.read_text(encoding="utf-8") == '{"mine": true}\n'


def test_generate_hand_written_file_identical_to_generated_adopted(data_dir, tmp_path):
    docs = tmp_path / "docs"
    generate(data_dir, docs, jobs=1)
    (docs / MANIFEST).unlink()  # ownership lost: the files hold exactly what would be written
    result = generate(data_dir, docs, jobs=1)
    assert not result.errors and "about.md" in set(paths_file(docs / MANIFEST))


def _withhold(data: Path, reply: str) -> None:
    (data / "replies" / f"{reply}.yml").write_text("publish: false\n", encoding="utf-8")


def _traces(docs: Path, *ids: str) -> list[str]:
    """Public files of docs/ that name any of `ids` (the manifest and journal are not published)."""
    return [rel for rel, data in _tree(docs).items() if rel not in (MANIFEST, JOURNAL)
            and any(i.encode() in data for i in ids)]


def test_generate_crash_after_pages_before_manifest_then_withheld(data_dir, tmp_path, monkeypatch):
    """The pages of a run that died between its renames and its manifest are still owned."""
    docs = tmp_path / "docs"
    generate(data_dir, docs, jobs=1)
    extra = data_dir / "replies" / "zz_new.txt"
    extra.write_bytes(next((data_dir / "replies").glob("001_*.txt")).read_bytes())

    def killed(self, owned):
        raise KeyboardInterrupt  # as a kill would: no manifest written

    monkeypatch.setattr(Writer, "finish", killed)
    with pytest.raises(KeyboardInterrupt):
        generate(data_dir, docs, jobs=1)
    monkeypatch.undo()
    assert (docs / "replies" / "zz_new.md").exists()
    _withhold(data_dir, "zz_new")
    generate(data_dir, docs, jobs=1)
    assert not _traces(docs, "zz_new")


def test_generate_killed_at_random_instants_never_leaves_withheld_or_deleted_reply(tmp_path):
    """kill -9 at random instants of runs (at least 20 killed before they ended) over a
    changing data dir; each time the next run withholds one reply and deletes another,
    and neither is published after it."""
    data = copies_data_dir(tmp_path / "data", 60)
    docs = tmp_path / "docs"
    rng = random.Random(14)
    for _ in range(2):  # the second as the runs below: most extractions cached
        started = time.monotonic()
        subprocess.run(_cli("generate", "-q", "-j", "1", "--data", str(data), "--docs", str(docs)),
                       cwd=ROOT, env=ENV, check=True, capture_output=True)
        full = time.monotonic() - started
    kills = 0
    for round_ in range(40):
        if kills >= 20:
            break
        names = sorted(p.stem for p in (data / "replies").glob("*.txt"))
        victim, withheld = rng.sample(names, 2)
        # A run that adds pages (a new reply) and rewrites others, killed at a random instant.
        (data / "replies" / f"new{round_:02d}x.txt").write_bytes((data / "replies" / f"{victim}.txt").read_bytes())
        proc = subprocess.Popen(_cli("generate", "-q", "-j", rng.choice(["1", "2"]), "--data", str(data),
                                     "--docs", str(docs)), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.1, 1.0) * full)
        if proc.poll() is None:
            kills += 1
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        (data / "replies" / f"{victim}.txt").unlink()
        (data / "replies" / f"new{round_:02d}x.txt").unlink()  # the new one goes too
        _withhold(data, withheld)
        generate(data, docs, jobs=1)
        assert not _traces(docs, victim, f"new{round_:02d}x", withheld), (round_, victim, withheld)
        assert not list(docs.rglob(f"*{STAGED}")) and not (docs / JOURNAL).exists()
        (data / "replies" / f"{withheld}.yml").unlink()
    assert kills >= 20, f"only {kills} runs were killed before they ended"
    generate(data, docs, jobs=1)  # the last reply withheld is published again
    fresh, got = _tree(_fresh(data, tmp_path / "fresh")), _tree(docs)
    assert got.keys() == fresh.keys()
    assert [rel for rel in got if got[rel] != fresh[rel]] == [], "killed runs left a different docs/"


def _fresh(data: Path, where: Path) -> Path:
    generate(data, where / "docs", jobs=1, cache_dir=where / "cache")
    return where / "docs"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_generate_disk_full_or_read_only_leaves_docs_as_last_run(data_dir, tmp_path, monkeypatch, capsys, code):
    docs = tmp_path / "docs"
    generate(data_dir, docs, jobs=1)
    before = _tree(docs)
    (next((data_dir / "replies").glob("001_*.txt"))).write_text("改过的标题\n" * 3 + "正文。\n", encoding="utf-8")
    _withhold(data_dir, next((data_dir / "replies").glob("002_*.txt")).stem)
    real, calls = write._write_file, []

    def fails_after_three(path, pieces):
        calls.append(path)
        if len(calls) > 3:
            raise OSError(code, os.strerror(code), str(path))
        return real(path, pieces)

    monkeypatch.setattr(write, "_write_file", fails_after_three)
    with pytest.raises(WriteError, match="last complete run"):
        generate(data_dir, docs, jobs=1)
    assert _tree(docs) == before  # nothing replaced, nothing staged left
    calls.clear()
    status = main(["generate", "-q", "-j", "1", "--data", str(data_dir), "--docs", str(docs)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and err[0].startswith(f"error: cannot write {docs}")
    assert _tree(docs) == before


def test_docs_lock_second_run_waits_for_the_first(data_dir, tmp_path):
    docs = tmp_path / "docs"
    with DocsLock(docs):
        proc = subprocess.Popen(_cli("generate", "-j", "1", "--data", str(data_dir), "--docs", str(docs)),
                                cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert proc.poll() is None and not (docs / MANIFEST).exists()  # waiting, nothing written
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "waiting for another run" in err and (docs / MANIFEST).exists()


def test_two_runs_at_once_both_complete(tmp_path):
    """Two `generate` runs on one docs dir (two CI jobs): one after the other, never one
    removing the other's files."""
    data = copies_data_dir(tmp_path / "data", PARALLEL_FROM + 100)
    docs = tmp_path / "docs"
    runs = []
    for delay in (0.8, 0):  # the second starts while the first is reading or writing
        runs.append(subprocess.Popen(_cli("generate", "-q", "-j", "2", "--data", str(data), "--docs", str(docs)),
                                     cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        time.sleep(delay)
    outcomes = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-500:] for _, err in outcomes]
    assert _tree(docs) == _tree(_fresh(data, tmp_path / "fresh"))


def test_docs_lock_gives_up_with_a_clear_error(tmp_path):
    with DocsLock(tmp_path / "docs"):
        with pytest.raises(WriteError, match="another run is writing"):
            with DocsLock(tmp_path / "docs", timeout=0.3):
                pass
    with DocsLock(tmp_path / "docs", timeout=0.3):  # released with its holder
        pass


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_die_with_a_killed_run(tmp_path):
    data = copies_data_dir(tmp_path / "data", PARALLEL_FROM + 100)
    proc = subprocess.Popen(_cli("generate", "-q", "-j", "2", "--data", str(data), "--docs", str(tmp_path / "docs")),
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers = set()
    while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the run started no workers"
    time.sleep(0.3)  # past their start-up
    os.kill(proc.pid, signal.SIGKILL)  # the run alone, not its process group
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and _alive(w) for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and _alive(w)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_journal_lists_paths_whatever_their_characters(tmp_path):
    writer = Writer(tmp_path / "docs")
    rel = 'replies/引号"与\\反斜杠.md'
    writer.write(rel, "x")
    writer.commit([rel])
    assert list(paths_file(tmp_path / "docs" / JOURNAL)) == [rel]
    assert json.loads((tmp_path / "docs" / JOURNAL).read_text(encoding="utf-8")) == rel
