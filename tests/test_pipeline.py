import json
import os
import subprocess
import sys

import pytest

from generator.cli import main
from generator.pipeline import MANIFEST, generate

from conftest import ROOT, copies_data_dir, seed


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_generate_writes_pages_and_open_data(data_dir, tmp_path):
    docs = tmp_path / "docs"
    result = generate(data_dir, docs)
    assert not result.errors
    assert sorted(p.name for p in (docs / "replies").glob("*.md")) == sorted(
        [f"{p.stem}.md" for p in (data_dir / "replies").glob("*.txt")] + ["index.md"])
    assert len(json.loads((docs / "data" / "replies.json").read_text(encoding="utf-8"))) == 5


def test_generate_bad_reply_reported_others_written(data_dir, tmp_path):
    (data_dir / "replies" / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 50)
    (data_dir / "replies" / "empty.txt").write_bytes(b"")
    result = generate(data_dir, tmp_path / "docs")
    assert [str(p) for p in result.errors] == [
        "broken.txt: binary data: contains NUL bytes", "empty.txt: empty file"]
    assert len(result.replies) == 5


def test_cli_exit_status_and_summary(data_dir, tmp_path):
    (data_dir / "replies" / "empty.txt").write_bytes(b"   ")
    proc = run_cli("generate", "--data", str(data_dir), "--docs", str(tmp_path / "docs"))
    assert proc.returncode == 1
    assert "error: empty.txt: empty file" in proc.stderr
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("5 replies written (0 withheld), 0 warnings, 1 errors")
    assert summary.endswith("replies/s")


def test_cli_clean_run_exits_zero(data_dir, tmp_path):
    assert main(["generate", "-q", "--data", str(data_dir), "--docs", str(tmp_path / "docs")]) == 0


def test_cli_strict_fails_on_warning(data_dir, tmp_path):
    text = seed("001").read_text(encoding="utf-8").replace("吉林省科学技术厅", "吉林省低空经济厅")
    (data_dir / "replies" / "001_efe964a827ed06ef.txt").write_text(text, encoding="utf-8")
    docs = str(tmp_path / "docs")
    assert main(["generate", "-q", "--data", str(data_dir), "--docs", docs]) == 0
    assert main(["generate", "-q", "--strict", "--data", str(data_dir), "--docs", docs]) == 1


def test_cli_missing_registry_is_clear(tmp_path):
    (tmp_path / "replies").mkdir()
    proc = run_cli("generate", "--data", str(tmp_path), "--docs", str(tmp_path / "docs"))
    assert proc.returncode == 2 and "agencies.yml: cannot read" in proc.stderr


def test_generate_refuses_duplicate_id(data_dir, tmp_path):
    (data_dir / "replies" / "zz_copy.txt").write_bytes(seed("003").read_bytes())
    (data_dir / "replies" / "zz_copy.yml").write_text("id: 003_b7eee806dff20c32\n", encoding="utf-8")
    result = generate(data_dir, tmp_path / "docs")
    assert [str(p) for p in result.errors] == [
        "zz_copy.txt: id '003_b7eee806dff20c32' is already used by 003_b7eee806dff20c32.txt; not written"]
    assert sum(r.id == "003_b7eee806dff20c32" for r in result.replies) == 1


@pytest.mark.parametrize(
    "sidecar, check",
    [
        ("id: kjt-2024-79\n", lambda r, docs: (docs / "replies" / "kjt-2024-79.md").exists()),
        ("proposer: 战滨华\nproposer_type: 委员\ndate: 2024-06-01\n", lambda r, docs: str(r.date) == "2024-06-01" and r.year == 2024),
        ("themes: [教育]\n", lambda r, docs: r.themes == ("教育",)),
        ("doc_number: 吉科发政【2024】80 号\n", lambda r, docs: r.doc_number == "吉科发政〔2024〕80号"),
        ("publish: summary\n", lambda r, docs: r.publish == "summary"),
    ],
    ids=["id", "date", "themes", "doc-number", "summary"],
)
def test_sidecar_overrides_extracted_values(data_dir, tmp_path, sidecar, check):
    (data_dir / "replies" / "001_efe964a827ed06ef.yml").write_text(sidecar, encoding="utf-8")
    docs = tmp_path / "docs"
    result = generate(data_dir, docs)
    reply = next(r for r in result.replies if r.source == "001_efe964a827ed06ef.txt")
    assert check(reply, docs)


def test_sidecar_publish_false_withholds_everywhere(data_dir, tmp_path):
    (data_dir / "replies" / "001_efe964a827ed06ef.yml").write_text("publish: false\n", encoding="utf-8")
    docs = tmp_path / "docs"
    result = generate(data_dir, docs)
    assert [r.id for r in result.withheld] == ["001_efe964a827ed06ef"]
    assert not (docs / "replies" / "001_efe964a827ed06ef.md").exists()
    for path in docs.rglob("*"):
        if path.is_file() and path.name != MANIFEST:
            assert "001_efe964a827ed06ef" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize(
    "sidecar, message",
    [
        ("colour: red\n", "unknown field 'colour'"),
        ("id: ../../etc\n", "is not URL-safe"),
        ("date: someday\n", "date: not a date"),
        ("publish: maybe\n", "publish must be"),
        ("- a list\n", "expected a mapping"),
        ("title: [unclosed\n", "not valid YAML"),
    ],
)
def test_sidecar_errors_name_the_file(data_dir, tmp_path, sidecar, message):
    (data_dir / "replies" / "001_efe964a827ed06ef.yml").write_text(sidecar, encoding="utf-8")
    result = generate(data_dir, tmp_path / "docs")
    assert len(result.errors) == 1
    error = str(result.errors[0])
    assert error.startswith("001_efe964a827ed06ef.txt: sidecar 001_efe964a827ed06ef.yml") and message in error


def test_generate_twice_identical_bytes_and_no_rewrite(data_dir, tmp_path):
    docs = tmp_path / "docs"
    generate(data_dir, docs)
    first = {p: p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    result = generate(data_dir, docs)
    assert result.written == []
    assert {p: p.read_bytes() for p in docs.rglob("*") if p.is_file()} == first


def test_generate_removes_stale_pages_keeps_hand_written(data_dir, tmp_path):
    docs = tmp_path / "docs"
    (docs / "replies").mkdir(parents=True)
    (docs / "replies" / "note.md").write_text("# 手写页面\n", encoding="utf-8")
    generate(data_dir, docs)
    (data_dir / "replies" / "004_5384189321c4f11f.txt").unlink()
    result = generate(data_dir, docs)
    # The reply's page goes, and so do the index pages only it fed (its proposer, 2023).
    assert "replies/004_5384189321c4f11f.md" in result.removed
    assert "proposers/min-jin-sheng-wei-hui/index.md" in result.removed
    assert "years/2023/index.md" in result.removed
    assert not (docs / "replies" / "004_5384189321c4f11f.md").exists()
    assert (docs / "replies" / "note.md").read_text(encoding="utf-8") == "# 手写页面\n"


def test_file_names_with_spaces_and_chinese_get_safe_ids(data_dir, tmp_path):
    (data_dir / "replies" / "科技厅 答复 (1).txt").write_bytes(seed("001").read_bytes())
    result = generate(data_dir, tmp_path / "docs")
    reply = next(r for r in result.replies if r.source == "科技厅 答复 (1).txt")
    assert reply.id.startswith("ke-ji-ting-da-fu-1-")
    assert (tmp_path / "docs" / "replies" / f"{reply.id}.md").exists()


def test_generate_same_bytes_whatever_the_file_order(tmp_path):
    docs = []
    for name, order in (("a", sorted), ("b", lambda names: sorted(names, reverse=True))):
        data = copies_data_dir(tmp_path / name / "data", 5, order)  # files created in this order
        generate(data, tmp_path / name / "docs")
        docs.append(tmp_path / name / "docs")
    first = {p.relative_to(docs[0]): p.read_bytes() for p in docs[0].rglob("*") if p.is_file()}
    second = {p.relative_to(docs[1]): p.read_bytes() for p in docs[1].rglob("*") if p.is_file()}
    assert first == second


def _mtimes(docs):
    return {p.relative_to(docs).as_posix(): p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}


def _age(docs):
    """Set every file's mtime far back, so that a rewrite shows whatever the clock's resolution."""
    for p in docs.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(10**18, 10**18))


def test_generate_edit_of_body_rewrites_only_that_page(data_dir, tmp_path):
    docs = tmp_path / "docs"
    generate(data_dir, docs)
    _age(docs)
    before = _mtimes(docs)
    source = data_dir / "replies" / "003_b7eee806dff20c32.txt"
    source.write_text(source.read_text(encoding="utf-8").replace("持续推进院士", "持续推进两院院士")
                      .replace("培育壮大新兴产业工作", "培育壮大战略性新兴产业工作"), encoding="utf-8")
    result = generate(data_dir, docs)
    changed = sorted(k for k, v in _mtimes(docs).items() if v != before.get(k))
    assert changed == result.written == ["replies/003_b7eee806dff20c32.md"]


def test_generate_edit_of_metadata_rewrites_dependent_pages_only(data_dir, tmp_path):
    docs = tmp_path / "docs"
    generate(data_dir, docs)
    _age(docs)
    before = _mtimes(docs)
    (data_dir / "replies" / "003_b7eee806dff20c32.yml").write_text("date: 2025-06-30\n", encoding="utf-8")
    result = generate(data_dir, docs)
    changed = sorted(k for k, v in _mtimes(docs).items() if v != before.get(k))
    assert changed == sorted(result.written)
    assert "replies/003_b7eee806dff20c32.md" in changed and "data/replies.json" in changed
    for rel in changed:
        content = (docs / rel).read_text(encoding="utf-8")
        # Every rewritten page shows the reply (its date moved it in the lists) or aggregates.
        assert "003_b7eee806dff20c32" in content or rel in {"data/replies.csv", "index.md", "about.md"}, rel
    # Pages that do not show the reply are untouched.
    assert "proposers/zhan-bin-hua/index.md" not in changed
    assert "agencies/jl-industry-it/index.md" not in changed
    assert len(changed) < len(before) // 2


def test_generate_killed_midway_leaves_no_partial_file(tmp_path):
    import signal
    import time

    data = copies_data_dir(tmp_path / "data", 400)
    complete = tmp_path / "complete"
    generate(data, complete)
    docs = tmp_path / "docs"
    proc = subprocess.Popen([sys.executable, "-m", "generator", "generate", "-q", "--data", str(data),
                             "--docs", str(docs)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((docs / "replies").glob("*.md")) if (docs / "replies").exists() else []) < 50:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, as a cancelled CI job
    proc.wait()
    written = [p for p in docs.rglob("*") if p.is_file() and not p.name.endswith(".tmp")]
    assert 50 <= len(written) < len(list(complete.rglob("*")))  # really killed mid-way
    for path in written:  # every file there is whole: the same bytes as a complete run's
        assert path.read_bytes() == (complete / path.relative_to(docs)).read_bytes(), path
    generate(data, docs)  # the next run completes the job and leaves no temporary file
    assert not list(docs.rglob("*.tmp"))
    assert {p.relative_to(docs) for p in docs.rglob("*")} == {p.relative_to(complete) for p in complete.rglob("*")}


def test_generate_sample_002_contact_nowhere_in_docs(data_dir, tmp_path):
    docs = tmp_path / "docs"
    generate(data_dir, docs)
    files = [p for p in docs.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        content = path.read_text(encoding="utf-8")
        assert "13006159985" not in content and "薛翔宇" not in content, path


def test_collect_same_result_on_one_or_two_processes(tmp_path):
    from generator.pipeline import PARALLEL_FROM, collect, load_context

    data = copies_data_dir(tmp_path / "data", PARALLEL_FROM + 10)
    (data / "replies" / "r007.txt").write_bytes(b"")  # a problem, reported the same way
    ctx = load_context(data)
    one, two = collect(data, ctx, jobs=1), collect(data, ctx, jobs=2)
    assert [r.record() for r in one.replies] == [r.record() for r in two.replies]
    bodies = [one.with_body(r).blocks for r in one.replies]
    assert all(bodies) and bodies == [two.with_body(r).blocks for r in two.replies]
    assert one.problems == two.problems and [str(p) for p in one.errors] == ["r007.txt: empty file"]


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _cache_entries(cache_dir):
    import sqlite3

    from generator.cache import DB_NAME

    with sqlite3.connect(cache_dir / DB_NAME) as db:
        return [key for key, in db.execute("SELECT key FROM entries ORDER BY key")]


def test_cache_regenerate_after_change_equals_fresh_run(data_dir, tmp_path):
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    generate(data_dir, docs, cache_dir=cache)
    changed = data_dir / "replies" / f"{seed('002').stem}.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("一是", "首先", 1), encoding="utf-8")
    (data_dir / "replies" / f"{seed('004').stem}.txt").unlink()
    result = generate(data_dir, docs, cache_dir=cache)
    assert f"replies/{seed('002').stem}.md" in result.written
    fresh = tmp_path / "fresh"
    generate(data_dir, fresh, cache_dir=tmp_path / "other-cache")
    assert _tree(docs) == _tree(fresh)
    assert "首先" in (docs / "replies" / f"{seed('002').stem}.md").read_text(encoding="utf-8")
    # One entry per source: the stale entries of the changed and the removed file are gone.
    assert len(_cache_entries(cache)) == 4


def test_cache_corrupt_or_foreign_entry_is_extracted_again(data_dir, tmp_path):
    import sqlite3

    from generator.cache import DB_NAME

    docs, cache = tmp_path / "docs", tmp_path / "cache"
    generate(data_dir, docs, cache_dir=cache)
    before = _tree(docs)
    keys = _cache_entries(cache)
    with sqlite3.connect(cache / DB_NAME) as db:
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (b"not a pickle", keys[0]))
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (b"", keys[1]))
    result = generate(data_dir, docs, cache_dir=cache)
    assert not result.written and _tree(docs) == before
    assert len(_cache_entries(cache)) == 5


def test_cache_other_fingerprint_starts_a_new_file(data_dir, tmp_path):
    """Entries made by other code or registries are all stale: the file is started again,
    not left to grow by a copy of the corpus per change."""
    from generator.cache import DB_NAME

    docs, cache = tmp_path / "docs", tmp_path / "cache"
    generate(data_dir, docs, cache_dir=cache)
    before = set(_cache_entries(cache))
    size = (cache / DB_NAME).stat().st_size
    generate(data_dir, docs, keep_contacts=True, cache_dir=cache)
    after = set(_cache_entries(cache))
    assert len(after) == 5 and not after & before
    assert (cache / DB_NAME).stat().st_size <= size * 1.2


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100])
def test_cache_file_damaged_is_started_again(data_dir, tmp_path, damage):
    from generator.cache import DB_NAME

    docs, cache = tmp_path / "docs", tmp_path / "cache"
    generate(data_dir, docs, cache_dir=cache)
    before = _tree(docs)
    for extra in cache.glob(f"{DB_NAME}-*"):
        extra.unlink()
    (cache / DB_NAME).write_bytes(damage)
    result = generate(data_dir, docs, cache_dir=cache)
    assert not result.errors and not result.written and _tree(docs) == before
    assert len(_cache_entries(cache)) == 5


def test_cache_key_changes_with_registry_and_options(data_dir):
    from generator.cache import fingerprint

    first = fingerprint(data_dir, False)
    assert fingerprint(data_dir, True) != first
    themes = data_dir / "themes.yml"
    themes.write_text(themes.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert fingerprint(data_dir, False) != first


def test_cache_key_changes_with_extraction_code_only(tmp_path, monkeypatch):
    """A change to the site's code keeps the cache; one to extraction code, or a new
    module, empties it."""
    import generator.cache as cache

    package = tmp_path / "package"
    package.mkdir()
    for name in ("clean.py", "render.py", "mkdocs_hooks.py"):
        (package / name).write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache, "PACKAGE", package)
    first = cache.fingerprint(tmp_path, False)
    (package / "render.py").write_text("x = 2\n", encoding="utf-8")
    (package / "mkdocs_hooks.py").write_text("x = 2\n", encoding="utf-8")
    assert cache.fingerprint(tmp_path, False) == first
    (package / "clean.py").write_text("x = 2\n", encoding="utf-8")
    second = cache.fingerprint(tmp_path, False)
    assert second != first
    (package / "new_stage.py").write_text("", encoding="utf-8")
    assert cache.fingerprint(tmp_path, False) != second


def test_generate_same_files_on_one_or_two_processes(tmp_path):
    from generator.pipeline import PARALLEL_FROM

    data = copies_data_dir(tmp_path / "data", PARALLEL_FROM + 10)
    one = generate(data, tmp_path / "one" / "docs", jobs=1)
    two = generate(data, tmp_path / "two" / "docs", jobs=2)
    assert one.written == two.written and len(one.written) > PARALLEL_FROM
    assert _tree(tmp_path / "one" / "docs") == _tree(tmp_path / "two" / "docs")


@pytest.mark.parametrize("rel", ["../outside.md", "replies/../../outside.md", "replies/link.md"])
def test_writer_refuses_to_write_outside_docs(tmp_path, rel):
    from generator.pipeline import Writer

    docs = tmp_path / "docs"
    (docs / "replies").mkdir(parents=True)
    (docs / "replies" / "link.md").symlink_to(tmp_path / "outside.md")
    with pytest.raises(ValueError, match="outside"):
        Writer(docs).write(rel, "text")
    assert not (tmp_path / "outside.md").exists()


def test_writer_writes_changed_files_only(tmp_path):
    from generator.pipeline import Writer

    writer = Writer(tmp_path / "docs")
    assert writer.write("a/b/c.md", "one") and not writer.write("a/b/c.md", "one")
    assert writer.write("a/b/c.md", "two") and writer.write("top.md", "x")
    assert (tmp_path / "docs" / "a" / "b" / "c.md").read_text(encoding="utf-8") == "two"


def test_writer_pieces_written_whole_and_changed_only(tmp_path):
    from generator.pipeline import Writer

    writer = Writer(tmp_path / "docs")
    assert writer.write("data/x.csv", iter(["a,", "b\n", "中文\n"]))
    assert (tmp_path / "docs" / "data" / "x.csv").read_text(encoding="utf-8") == "a,b\n中文\n"
    assert not writer.write("data/x.csv", iter(["a,b\n", "中文\n"]))
    assert writer.write("data/x.csv", iter(["a,b\n"]))
    assert (tmp_path / "docs" / "data" / "x.csv").read_text(encoding="utf-8") == "a,b\n"

    def failing():
        yield "half"
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        writer.write("data/x.csv", failing())
    assert (tmp_path / "docs" / "data" / "x.csv").read_text(encoding="utf-8") == "a,b\n"
    assert [p.name for p in (tmp_path / "docs" / "data").iterdir()] == ["x.csv"]  # no temporary left


def test_manifest_lists_every_generated_file(data_dir, tmp_path):
    docs = tmp_path / "docs"
    result = generate(data_dir, docs)
    listed = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    on_disk = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert len(listed) == len(set(listed)) and set(listed) == on_disk
    assert set(result.written) == on_disk and len(result.written) == len(on_disk)


@pytest.mark.parametrize("text, expected", [
    ('[\n "a/b.md",\n "replies/x.md"\n]\n', ["a/b.md", "replies/x.md"]),  # as written: a path per line
    ('["a/b.md", "c.md"]', ["a/b.md", "c.md"]),  # any other JSON list: read whole
    ("[]\n", []),
    ('[\n "a.md",\n "b.md', ["a.md"]),  # cut short: what could be read
    ("{not json", []),
    ('{"a": 1}', []),
])
def test_manifest_paths_read_one_at_a_time(tmp_path, text, expected):
    from generator.pipeline import _manifest_paths

    (tmp_path / MANIFEST).write_text(text, encoding="utf-8")
    assert list(_manifest_paths(tmp_path / MANIFEST)) == expected
    assert list(_manifest_paths(tmp_path / "missing.json")) == []


def test_pathlist_behaves_as_a_list():
    from generator.pipeline import PathList

    paths = PathList(["a.md\nb/c.md", "", "d.md"])
    assert paths == ["a.md", "b/c.md", "d.md"] and len(paths) == 3 and paths[1] == "b/c.md"
    assert "d.md" in paths and "b" not in paths and paths != ["a.md"]
    assert not PathList() and PathList() == []


def test_generated_files_readable_by_all_under_usual_umask(tmp_path):
    """Pages are published: a web server running as another user must read them."""
    from generator.pipeline import _FILE_MODE, Writer

    writer = Writer(tmp_path / "docs")
    writer.write("a/page.md", "text")
    writer.write("a/data.csv", iter(["x\n"]))
    for name in ("page.md", "data.csv"):
        assert (tmp_path / "docs" / "a" / name).stat().st_mode & 0o777 == _FILE_MODE
    umask = os.umask(0)
    os.umask(umask)
    assert _FILE_MODE == 0o666 & ~umask


def test_sidecar_setting_a_field_settles_its_warning(data_dir, tmp_path):
    text = "张三委员：\n您在省政协十三届二次会议上提出的《关于某事的提案》收悉，现答复如下：\n我厅高度重视。\n"
    (data_dir / "replies" / "zz_nodate.txt").write_text(text, encoding="utf-8")
    before = [str(p) for p in generate(data_dir, tmp_path / "a").warnings if p.source == "zz_nodate.txt"]
    assert any("no date found" in p for p in before) and any("no signing agency" in p for p in before)
    (data_dir / "replies" / "zz_nodate.yml").write_text("date: 2024-06-01\nagency: 吉林省教育厅\n", encoding="utf-8")
    after = [str(p) for p in generate(data_dir, tmp_path / "b").warnings if p.source == "zz_nodate.txt"]
    assert not any("no date found" in p or "no signing agency" in p for p in after)
    assert len(after) == len(before) - 2  # the others stay
