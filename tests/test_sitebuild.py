"""The build engine (generator/sitebuild.py): pages rendered in worker processes, and only
the pages that changed, give the site a single `mkdocs build` gives, byte for byte."""

import shutil
from pathlib import Path

import pytest
from mkdocs.commands import build as mkdocs_build

import generator.site as site_module
import generator.sitebuild as sitebuild
from generator.pipeline import generate
from generator.render import HTML_CLOSE, HTML_OPEN
from tests.conftest import copies_data_dir, copy_hand_written_docs


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(built: Path, expected: Path) -> None:
    one, other = tree(built), tree(expected)
    assert sorted(one) == sorted(other), (sorted(set(one) ^ set(other))[:10])
    differing = [path for path in one if one[path] != other[path]]
    assert not differing, differing[:10]


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    """The sitemap's dates are the build's: two builds a second apart across midnight differ."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")


@pytest.fixture
def stats(monkeypatch):
    """The engine's BuildStats of each build, in order."""
    seen = []
    engine = site_module.engine_build

    def recorded(config, **kwargs):
        seen.append(engine(config, **kwargs))
        return seen[-1]

    monkeypatch.setattr(site_module, "engine_build", recorded)
    return seen


@pytest.fixture
def small_chunks(monkeypatch):
    """Workers even for a small site, several tasks each (forked workers inherit this)."""
    monkeypatch.setattr(sitebuild, "PARALLEL_FROM", 1)
    monkeypatch.setattr(sitebuild, "CHUNK", 7)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    work = tmp_path_factory.mktemp("engine")
    data = copies_data_dir(work / "data", 24)
    docs = copy_hand_written_docs(work / "docs")
    generate(data, docs, cache_dir=work / "cache")
    return work, data, docs


def mkdocs_alone(docs: Path, site: Path, **kwargs) -> None:
    """The reference: MkDocs' own build, one process, everything rendered."""
    engine = site_module.engine_build
    site_module.engine_build = lambda config, **_: mkdocs_build.build(config)
    try:
        site_module.build_site(docs, site, strict=True, **kwargs)
    finally:
        site_module.engine_build = engine


@pytest.mark.parametrize("kind", ["pagefind", "material", "offline"])
def test_build_parallel_equals_mkdocs_alone(corpus, tmp_path, stats, small_chunks, kind):
    _, _, docs = corpus
    options = {"offline": True} if kind == "offline" else {"search": kind}
    if kind == "pagefind":
        options["extra"] = {"pagefind_shard_pages": 9}  # several shards, indexed two at a time
    mkdocs_alone(docs, tmp_path / "alone", **options)
    site_module.build_site(docs, tmp_path / "parallel", strict=True, jobs=2, **options)
    assert stats[-1].rendered == stats[-1].pages > 60
    assert_same_tree(tmp_path / "parallel", tmp_path / "alone")


def edit(data: Path, change: str) -> None:
    replies = data / "replies"
    first = sorted(replies.glob("*.txt"))[3]
    if change == "text":
        text = first.read_text(encoding="utf-8")
        lines = text.split("\n")
        longest = max(range(len(lines)), key=lambda n: len(lines[n]))
        lines[longest] = lines[longest].replace("，", "，并且", 1)
        first.write_text("\n".join(lines), encoding="utf-8")
    elif change == "delete":
        first.unlink()
    elif change == "rename":
        first.rename(first.with_name("z-" + first.name))
    elif change == "add":
        shutil.copy(first, replies / "r900.txt")


@pytest.mark.parametrize("changes", [["text"], ["delete"], ["rename"], ["add", "text"]])
def test_build_incremental_equals_full(tmp_path, stats, small_chunks, changes):
    data = copies_data_dir(tmp_path / "data", 16)
    docs = copy_hand_written_docs(tmp_path / "docs")
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    options = {"strict": True, "jobs": 2, "extra": {"pagefind_shard_pages": 6}}
    generate(data, docs, cache_dir=tmp_path / "cache")
    site_module.build_site(docs, site, cache_dir=cache, **options)
    assert stats[-1].full and stats[-1].rendered == stats[-1].pages
    for change in changes:
        edit(data, change)
        result = generate(data, docs, cache_dir=tmp_path / "cache")
        assert result.written or result.removed
        site_module.build_site(docs, site, cache_dir=cache, **options)
        assert not stats[-1].full and stats[-1].rendered < stats[-1].pages / 2
        site_module.build_site(docs, tmp_path / "full", **options)  # no cache: everything rendered
        assert stats[-1].full
        assert_same_tree(site, tmp_path / "full")
        shutil.rmtree(tmp_path / "full")
    mkdocs_alone(docs, tmp_path / "alone", extra={"pagefind_shard_pages": 6})
    assert_same_tree(site, tmp_path / "alone")


def test_build_incremental_unchanged_renders_only_the_nav(corpus, tmp_path, stats):
    _, _, docs = corpus
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    before = tree(site)
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    # The nav's pages are always rendered (every page shows them); nothing else.
    assert stats[-1].rendered < 20 and not stats[-1].full
    assert tree(site) == before


def test_build_full_keeps_records_for_the_next(corpus, tmp_path, stats):
    """A full build (`build --full`) renders every page again, whatever the cache holds,
    and records them: the build after it is incremental."""
    _, _, docs = corpus
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    before = tree(site)
    site_module.build_site(docs, site, strict=True, cache_dir=cache, full=True)
    assert stats[-1].full and stats[-1].rendered == stats[-1].pages
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    assert not stats[-1].full and stats[-1].rendered < 20
    assert tree(site) == before


def test_build_incremental_after_a_restore(corpus, tmp_path, stats):
    """CI restores the site and the cache elsewhere, with new file times, and generates
    the docs anew: the pages are reused by their contents."""
    _, _, docs = corpus
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    before = tree(site)
    shutil.copytree(docs, tmp_path / "docs2", copy_function=shutil.copyfile)  # new times
    shutil.copytree(site, tmp_path / "site2", copy_function=shutil.copyfile)
    site_module.build_site(tmp_path / "docs2", tmp_path / "site2", strict=True, cache_dir=cache)
    assert not stats[-1].full and stats[-1].rendered < 20
    assert tree(tmp_path / "site2") == before


def test_build_incremental_restores_a_page_changed_in_the_site(corpus, tmp_path, stats):
    _, _, docs = corpus
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    before = tree(site)
    page = next(p for p in sorted((site / "replies").rglob("index.html")) if p.parent.name != "replies")
    page.write_text("tampered", encoding="utf-8")
    (site / "stray.html").write_text("not the build's", encoding="utf-8")
    (site / ".git").mkdir()  # hidden: left alone, as MkDocs does (a deployment's repository)
    (site / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n", encoding="utf-8")
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    assert tree(site) == {**before, ".git/HEAD": b"ref: refs/heads/gh-pages\n"}
    site_module.build_site(docs, site, strict=True, cache_dir=cache, extra={"search_engine": "material"})
    assert stats[-1].full and (site / ".git" / "HEAD").is_file()


@pytest.mark.parametrize("what", ["config", "damaged cache"])
def test_build_incremental_full_when_the_build_changes(corpus, tmp_path, stats, what):
    _, _, docs = corpus
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    extra = None
    if what == "config":
        extra = {"search_engine": "material"}
    else:
        (cache / "build.pickle").write_bytes(b"not a pickle")
    site_module.build_site(docs, site, strict=True, cache_dir=cache, extra=extra)
    assert stats[-1].full and stats[-1].rendered == stats[-1].pages
    assert stats[-1].notice


@pytest.mark.parametrize("link", ["[断链](../no-such-page.md)",
                                  f'{HTML_OPEN}\n<p><a href="../no-such-page.md">断链</a></p>\n{HTML_CLOSE}'])
def test_build_incremental_replays_warnings(corpus, tmp_path, stats, link):
    """A page's warnings come from its record when it is not rendered again: a strict
    build fails the same way whether the page was rendered or not. A link in a template's
    block of HTML (render.HTML_OPEN) is checked, and followed, like one in Markdown."""
    _, _, source = corpus
    docs = tmp_path / "docs"
    shutil.copytree(source, docs)
    page = sorted((docs / "replies").glob("r*.md"))[0]  # not in the nav: reused when unchanged
    page.write_text(page.read_text(encoding="utf-8") + f"\n\n{link}\n", encoding="utf-8")
    site, cache = tmp_path / "site", tmp_path / "build-cache"
    written = []
    for _ in range(2):
        with pytest.raises(site_module.BuildError, match="no-such-page"):
            site_module.build_site(docs, site, strict=True, cache_dir=cache)
        written.append((site / "replies" / page.stem / "index.html").stat().st_mtime_ns)
    assert written[0] == written[1]  # the second build did not render it again
    # The target appears: the page that linked to it is rendered again, and the build passes.
    (docs / "no-such-page.md").write_text("# 有了\n", encoding="utf-8")
    site_module.build_site(docs, site, strict=True, cache_dir=cache)
    assert (site / "no-such-page" / "index.html").is_file()


def test_supported_names_an_unknown_plugin():
    class Config:
        plugins = {"material/search": None, "generator/mkdocs_hooks.py": None, "blog": None}

    assert sitebuild.supported(Config) == "blog"
    Config.plugins = {"material/search": None, "material/offline": None}
    assert sitebuild.supported(Config) is None
