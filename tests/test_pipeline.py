import json
import os
import subprocess
import sys

import pytest

from generator.cli import main
from generator.pipeline import generate
from generator.write import MANIFEST

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


@pytest.mark.parametrize("old, new, also", [
    # A paragraph that promises nothing: its page alone.
    ("二是推动校企合作", "二是大力推动校企合作", []),
    # A commitment's opening words: the commitments' open data and the lists showing it too.
    ("培育壮大新兴产业工作", "培育壮大战略性新兴产业工作",
     ["agencies/jl-science-tech/index.md", "commitments/2025/index.md", "data/commitments.csv",
      "data/commitments.json"]),
])
def test_generate_edit_of_body_rewrites_only_pages_showing_it(data_dir, tmp_path, old, new, also):
    docs = tmp_path / "docs"
    generate(data_dir, docs)
    _age(docs)
    before = _mtimes(docs)
    source = data_dir / "replies" / "003_b7eee806dff20c32.txt"
    text = source.read_text(encoding="utf-8")
    assert old in text
    source.write_text(text.replace(old, new), encoding="utf-8")
    result = generate(data_dir, docs)
    changed = sorted(k for k, v in _mtimes(docs).items() if v != before.get(k))
    assert changed == sorted(result.written) == sorted(["replies/003_b7eee806dff20c32.md", *also])
    for rel in changed:
        assert new in (docs / rel).read_text(encoding="utf-8"), rel


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


def _damage_all_but_meta(path):
    """Garble every page but the schema's and the meta table's: the fingerprint still
    reads, everything else is `database disk image is malformed`."""
    import sqlite3

    db = sqlite3.connect(path)
    keep = {1} | {root for name, root in db.execute("SELECT name, rootpage FROM sqlite_master") if "meta" in name}
    db.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for n in range(page, len(data), 7):
        if n // page + 1 not in keep:
            data[n] = (data[n] + 101) % 256
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["pages", "folder", "wal"])
def test_cache_damaged_anywhere_is_set_aside_and_started_again(data_dir, tmp_path, damage):
    from generator.cache import DB_NAME

    docs, cache = tmp_path / "docs", tmp_path / "cache"
    generate(data_dir, docs, cache_dir=cache, jobs=1)
    before = _tree(docs)
    db = cache / DB_NAME
    for extra in cache.glob(f"{DB_NAME}-*"):
        extra.unlink()
    if damage == "pages":
        _damage_all_but_meta(db)
    elif damage == "folder":
        db.unlink()
        (db / "inside").mkdir(parents=True)
    else:
        (cache / f"{DB_NAME}-wal").write_bytes(b"\x37\x7f\x06\x82" + b"garbage" * 5000)
    (data_dir / "replies" / "zz_new.txt").write_bytes(next((data_dir / "replies").glob("001_*.txt")).read_bytes())
    result = generate(data_dir, docs, cache_dir=cache, jobs=1)
    assert not result.errors and (docs / "replies" / "zz_new.md").exists()
    (data_dir / "replies" / "zz_new.txt").unlink()
    result = generate(data_dir, docs, cache_dir=cache, jobs=1)  # and the run after
    assert not result.errors and _tree(docs) == before
    assert len(_cache_entries(cache)) == 5


def test_cache_unusable_run_goes_on_without_it(data_dir, tmp_path):
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    cache.write_text("a file where the cache folder should be", encoding="utf-8")
    result = generate(data_dir, docs, cache_dir=cache / "sub", jobs=1)
    assert not result.errors and len(result.replies) == 5
    assert any("cannot be used" in n for n in result.notices)
    assert cache.read_text(encoding="utf-8").startswith("a file")  # not the cache's to remove


@pytest.mark.parametrize("first, second", [("Case", "case"), ("ABC", "abc"), ("Index", None)])
def test_collect_ids_differing_only_in_case_refused(data_dir, tmp_path, first, second):
    sample = next((data_dir / "replies").glob("001_*.txt")).read_bytes()
    for stem in filter(None, (first, second)):
        (data_dir / "replies" / f"{stem}.txt").write_bytes(sample)
    docs = tmp_path / "docs"
    result = generate(data_dir, docs, jobs=1)
    pages = [p.stem.casefold() for p in (docs / "replies").glob("*.md")]
    assert len(pages) == len(set(pages))  # no two pages one file on a case-insensitive disk
    if second:
        assert [p.source for p in result.errors] == [f"{second}.txt"] and "differing only in case" in str(result.errors[0])


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


def test_manifest_lists_every_generated_file(data_dir, tmp_path):
    docs = tmp_path / "docs"
    result = generate(data_dir, docs)
    listed = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    on_disk = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert len(listed) == len(set(listed)) and set(listed) == on_disk
    assert set(result.written) == on_disk and len(result.written) == len(on_disk)


def test_pathlist_behaves_as_a_list():
    from generator.pipeline import PathList

    paths = PathList(["a.md\nb/c.md", "", "d.md"])
    assert paths == ["a.md", "b/c.md", "d.md"] and len(paths) == 3 and paths[1] == "b/c.md"
    assert "d.md" in paths and "b" not in paths and paths != ["a.md"]
    assert not PathList() and PathList() == []


def test_sidecar_setting_a_field_settles_its_warning(data_dir, tmp_path):
    text = "张三委员：\n您在省政协十三届二次会议上提出的《关于某事的提案》收悉，现答复如下：\n我厅高度重视。\n"
    (data_dir / "replies" / "zz_nodate.txt").write_text(text, encoding="utf-8")
    before = [str(p) for p in generate(data_dir, tmp_path / "a").warnings if p.source == "zz_nodate.txt"]
    assert any("no date found" in p for p in before) and any("no signing agency" in p for p in before)
    (data_dir / "replies" / "zz_nodate.yml").write_text("date: 2024-06-01\nagency: 吉林省教育厅\n", encoding="utf-8")
    after = [str(p) for p in generate(data_dir, tmp_path / "b").warnings if p.source == "zz_nodate.txt"]
    assert not any("no date found" in p or "no signing agency" in p for p in after)
    assert len(after) == len(before) - 2  # the others stay


def test_sidecar_not_a_regular_file_inside_data_refused(data_dir, tmp_path):
    """A pipe would hang the run; a link out would read a file of the machine."""
    replies = data_dir / "replies"
    secret = tmp_path / "secret.yml"
    secret.write_text("title: 机器上的秘密\n", encoding="utf-8")
    first, second, third = sorted(p.stem for p in replies.glob("*.txt"))[:3]
    os.mkfifo(replies / f"{first}.yml")
    (replies / f"{second}.yml").symlink_to(secret)
    (replies / f"{third}.yml").symlink_to(tmp_path / "missing.yml")
    result = generate(data_dir, tmp_path / "docs", jobs=1)
    assert sorted(p.source for p in result.errors) == sorted(f"{s}.txt" for s in (first, second, third))
    assert "named pipe" in str(result.errors[0]) and len(result.replies) == 2
    assert not [p for p in (tmp_path / "docs").rglob("*.md") if "机器上的秘密" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("sidecar", ["publish: false\ndate: [broken\n", "publish: no\nthemes: [不存在的主题]\n",
                                     "publish: false\n", "{publish: off, bogus: 1}\n", '"publish": !!bool false\nx: 1\n',
                                     "publish: false\n" + "# padding\n" * 8000])
def test_withheld_reply_failing_named_on_no_page(data_dir, tmp_path, sidecar):
    """A reply to be withheld is named on no page, even when it or its sidecar fails."""
    replies = data_dir / "replies"
    (replies / "zz_secret_file.txt").write_text("只有一行\n", encoding="utf-8")  # fails: no opening
    (replies / "zz_secret_file.yml").write_text(sidecar, encoding="utf-8")
    docs = tmp_path / "docs"
    result = generate(data_dir, docs, jobs=1)
    assert any(p.source == "zz_secret_file.txt" for p in result.problems)  # told on the console
    assert not [p for p in docs.rglob("*") if p.is_file() and p.name != MANIFEST
                and "zz_secret_file" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("secret_first", [True, False])
def test_duplicate_id_of_a_withheld_reply_named_on_no_page(data_dir, tmp_path, secret_first):
    """Whichever takes the id first, the withheld reply's file is named on the console only."""
    sample = next((data_dir / "replies").glob("001_*.txt")).read_bytes()
    secret, public = ("aa_secret_name", "bb_public") if secret_first else ("bb_secret_name", "aa_public")
    for stem, extra in ((secret, "publish: false\n"), (public, "")):
        (data_dir / "replies" / f"{stem}.txt").write_bytes(sample)
        (data_dir / "replies" / f"{stem}.yml").write_text("id: same-id\n" + extra, encoding="utf-8")
    docs = tmp_path / "docs"
    result = generate(data_dir, docs, jobs=1)
    assert any(secret in str(p) for p in result.errors)  # the console says it
    assert not [p for p in docs.rglob("*") if p.is_file() and p.name != MANIFEST
                and secret in p.read_text(encoding="utf-8")]


def test_sidecar_sections_settle_an_answer_run_into_its_opening(data_dir, tmp_path):
    """A reply whose answer runs on in its opening paragraph warns that it has no body; a
    sidecar's `sections: []` (an editor has looked) settles it, so a strict build passes."""
    text = ("张三委员：\n您在省政协十三届二次会议上提出的《关于某事的提案》收悉，现答复如下：我厅高度重视，已作安排。\n"
            "吉林省教育厅\n2024年6月1日\n")
    (data_dir / "replies" / "zz_glued.txt").write_text(text, encoding="utf-8")
    before = [p.message for p in generate(data_dir, tmp_path / "a").warnings if p.source == "zz_glued.txt"]
    assert "no body paragraphs after the opening" in before
    (data_dir / "replies" / "zz_glued.yml").write_text("sections: []\n", encoding="utf-8")
    after = [p.message for p in generate(data_dir, tmp_path / "b").warnings if p.source == "zz_glued.txt"]
    assert "no body paragraphs after the opening" not in after


# --- Each reply's own record, data/replies/<id>.json --------------------------------------

def _records(docs) -> dict[str, dict]:
    """id → record of every data/replies/<id>.json of a docs dir."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (docs / "data" / "replies").glob("*.json")}


def test_generate_reply_record_file_equals_its_open_data_entry(data_dir, tmp_path):
    """Every published reply, summary-only ones included, has its record beside the open
    data, exactly its entry in data/replies.json; a withheld reply has none."""
    (data_dir / "replies" / "001_efe964a827ed06ef.yml").write_text("publish: false\n", encoding="utf-8")
    (data_dir / "replies" / "003_b7eee806dff20c32.yml").write_text("publish: summary\n", encoding="utf-8")
    docs = tmp_path / "docs"
    result = generate(data_dir, docs)
    entries = json.loads((docs / "data" / "replies.json").read_text(encoding="utf-8"))
    assert _records(docs) == {entry["id"]: entry for entry in entries}
    assert sorted(_records(docs)) == sorted(r.id for r in result.replies) and len(entries) == 4
    assert "003_b7eee806dff20c32" in _records(docs)
    page = (docs / "replies" / "003_b7eee806dff20c32.md").read_text(encoding="utf-8")
    assert "[JSON](../data/replies/003_b7eee806dff20c32.json)" in page


@pytest.mark.parametrize("change", ["delete", "withhold", "new id"])
def test_generate_reply_record_removed_with_its_reply_or_old_id(data_dir, tmp_path, change):
    docs = tmp_path / "docs"
    generate(data_dir, docs)
    old = docs / "data" / "replies" / "004_5384189321c4f11f.json"
    assert old.is_file()
    source = data_dir / "replies" / "004_5384189321c4f11f.txt"
    if change == "delete":
        source.unlink()
    else:
        sidecar = "publish: false\n" if change == "withhold" else "id: renamed-004\n"
        source.with_suffix(".yml").write_text(sidecar, encoding="utf-8")
    result = generate(data_dir, docs)
    assert not old.exists()
    assert "data/replies/004_5384189321c4f11f.json" in result.removed
    assert sorted(_records(docs)) == sorted(r.id for r in result.replies)
    assert ("renamed-004" in _records(docs)) == (change == "new id")


@pytest.mark.parametrize("change", ["edit text", "rename with sidecar id"])
def test_generate_reply_id_kept_by_edit_or_sidecar_id(data_dir, tmp_path, change):
    """A reply's id, and with it its page's and record's addresses, stays when its text
    is edited, and when its file is renamed with a sidecar `id:` keeping the old one."""
    docs = tmp_path / "docs"
    first = generate(data_dir, docs)
    reply_id = "003_b7eee806dff20c32"
    source = data_dir / "replies" / f"{reply_id}.txt"
    if change == "edit text":
        text = source.read_text(encoding="utf-8")
        assert "持续推进全省教育科技" in text
        source.write_text(text.replace("持续推进全省教育科技", "持续推进全省教育和科技"), encoding="utf-8")
    else:
        source.rename(source.with_name("科技厅答复2024.txt"))
        source.with_name("科技厅答复2024.yml").write_text(f"id: {reply_id}\n", encoding="utf-8")
    result = generate(data_dir, docs)
    assert sorted(r.id for r in result.replies) == sorted(r.id for r in first.replies)
    assert result.removed == []
    assert (docs / "replies" / f"{reply_id}.md").is_file()
    record = _records(docs)[reply_id]
    assert record["source"] == ("科技厅答复2024.txt" if change != "edit text" else source.name)
    page = (docs / "replies" / f"{reply_id}.md").read_text(encoding="utf-8")
    assert ("持续推进全省教育和科技" in page) == (change == "edit text")


# --- The render cache: an incremental run writes what a cold run writes --------------------

def _edit(name, old, new):
    def change(data):
        path = data / "replies" / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


def _sidecar(name, text):
    def change(data):
        (data / "replies" / name).write_text(text, encoding="utf-8")
    return change


def _delete(data):
    (data / "replies" / "r003.txt").unlink()


def _rename(data):
    (data / "replies" / "r003.txt").rename(data / "replies" / "r003_moved.txt")


def _add(data):
    (data / "replies" / "r999.txt").write_bytes(seed("001").read_bytes())


def _broken(data):
    (data / "replies" / "r998.txt").write_bytes(b"")  # an error on the quality report


def _publisher(data):
    site = data / "site.yml"
    site.write_text(site.read_text(encoding="utf-8").replace("publisher: ", "publisher: 新的"), encoding="utf-8")


# r003 is a copy of the sample 003; its copies r008 and r013 stay as they were.
INCREMENTAL_CHANGES = {
    "body text": _edit("r003.txt", "二是推动校企合作", "二是大力推动校企合作"),
    "commitment text": _edit("r003.txt", "培育壮大新兴产业工作", "培育壮大战略性新兴产业工作"),
    "section heading": _edit("r003.txt", "一、关于“加强教育与产业的深度融合”的建议", "一、关于“加强教育和产业深度融合”的建议"),
    "title": _sidecar("r003.yml", "title: 关于一个新标题的答复\n"),
    "agency": _sidecar("r003.yml", "agency: 吉林省工业和信息化厅\n"),
    "co-agencies": _sidecar("r003.yml", "co_agencies: [吉林省教育厅]\n"),
    "date": _sidecar("r003.yml", "date: 2025-06-30\n"),
    "undated": _sidecar("r003.yml", "date: null\n"),
    "themes": _sidecar("r003.yml", "themes: [金融, 教育]\n"),
    "proposer": _sidecar("r003.yml", "proposer: 王新\nproposer_type: 委员\n"),
    "outcome": _sidecar("r003.yml", "classification: C\n"),
    "withheld": _sidecar("r003.yml", "publish: none\n"),
    "summary only": _sidecar("r003.yml", "publish: summary\n"),
    "deleted": _delete,
    "renamed": _rename,
    "added": _add,
    "empty file added": _broken,
    "site settings": _publisher,
}


def _units_rendered(lines):
    """(units rendered, units) from a run's progress lines."""
    line = next(line for line in lines if line.startswith("rendering "))
    rendered, _, rest = line.removeprefix("rendering ").partition(" of ")
    return int(rendered), int(rest.split()[0])


def _incremental_equals_cold(tmp_path, change, count=14, jobs=1):
    """Generate, `change` the data dir, generate again (incremental: the render cache of the
    first run), and generate the same data cold (new docs, new caches): the two docs trees
    must be the same bytes. Returns the units rendered and the units of the second run."""
    data = copies_data_dir(tmp_path / "data", count)
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    generate(data, docs, cache_dir=cache, jobs=jobs)
    change(data)
    lines = []
    generate(data, docs, cache_dir=cache, jobs=jobs, progress=lines.append)
    generate(data, tmp_path / "cold" / "docs", cache_dir=tmp_path / "cold" / "cache", jobs=jobs)
    incremental, cold = _tree(docs), _tree(tmp_path / "cold" / "docs")
    assert sorted(incremental) == sorted(cold)
    assert [rel for rel in incremental if incremental[rel] != cold[rel]] == []
    return _units_rendered(lines)


@pytest.mark.parametrize("change", INCREMENTAL_CHANGES.values(), ids=INCREMENTAL_CHANGES.keys())
def test_render_cache_incremental_run_equals_cold_run(tmp_path, change):
    rendered, units = _incremental_equals_cold(tmp_path, change)
    if change is not _publisher:  # a setting every page may show: all rendered again
        assert 0 < rendered < units


def test_render_cache_body_edit_renders_its_reply_alone(tmp_path):
    """A paragraph that promises nothing: only the reply's own page is rendered again."""
    rendered, units = _incremental_equals_cold(tmp_path, INCREMENTAL_CHANGES["body text"])
    assert rendered == 1 and units > 80


def test_render_cache_unchanged_data_renders_nothing(tmp_path):
    rendered, units = _incremental_equals_cold(tmp_path, lambda data: None)
    assert rendered == 0 and units > 20


def test_render_cache_incremental_run_on_workers_equals_cold_run(tmp_path):
    """Rendered on two forked workers (enough replies for them), each noting what it read."""
    from generator.pipeline import PARALLEL_FROM

    rendered, units = _incremental_equals_cold(
        tmp_path, _edit("r003.txt", "培育壮大新兴产业工作", "培育壮大战略性新兴产业工作"), PARALLEL_FROM + 10, jobs=2)
    assert 0 < rendered < units / 10


def test_render_cache_template_change_renders_again(tmp_path, monkeypatch):
    import shutil

    from generator import pipeline

    templates = tmp_path / "templates"
    shutil.copytree(pipeline.TEMPLATES, templates)
    monkeypatch.setattr(pipeline, "TEMPLATES", templates)

    def change(data):
        listing = templates / "listing.md.j2"
        listing.write_text(listing.read_text(encoding="utf-8").replace("共 {{ total }} 件答复。", "本页共 {{ total }} 件。"),
                           encoding="utf-8")

    rendered, units = _incremental_equals_cold(tmp_path, change)
    assert rendered == units
    assert "本页共" in (tmp_path / "docs" / "replies" / "index.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("damage", ["edited", "deleted", "touched"])
@pytest.mark.parametrize("rel", ["replies/r003.md", "replies/index.md", "data/replies.json", "data/commitments.csv"])
def test_render_cache_generated_file_changed_on_disk_is_written_again(tmp_path, damage, rel):
    """A generated file changed, removed or touched since the last run is not taken for
    the last run's: it is rendered again (an open-data file is made whole again)."""
    def change(data):
        path = tmp_path / "docs" / rel
        if damage == "deleted":
            path.unlink()
        elif damage == "edited":
            path.write_text(path.read_text(encoding="utf-8")[:-40] + "手工改动\n", encoding="utf-8")
        else:
            os.utime(path, ns=(10**18, 10**18))

    _incremental_equals_cold(tmp_path, change)


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100])
def test_render_cache_damaged_file_is_started_again(tmp_path, damage):
    from generator.rendercache import DB_NAME

    def change(data):
        _edit("r003.txt", "二是推动校企合作", "二是大力推动校企合作")(data)
        (tmp_path / "cache" / DB_NAME).write_bytes(damage)

    rendered, units = _incremental_equals_cold(tmp_path, change)
    assert rendered == units  # nothing known: everything rendered, and right
