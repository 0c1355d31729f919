"""The render cache (generator/rendercache.py): what a unit of render work reads, what its
name says, and when its files are taken as they are. That an incremental generate writes
what a cold one writes is tested in test_pipeline.py (test_render_cache_*)."""

from functools import partial

import pytest

from generator.pipeline import TEMPLATES, _renderer, collect, load_context
from generator.rendercache import RenderCache, recording
from generator.store import ReplyStore

from conftest import copies_data_dir
from test_index import make_reply


@pytest.fixture
def run(tmp_path):
    """A collected run of 12 sample copies, its renderer, and a render cache watching its index."""
    data = copies_data_dir(tmp_path / "data", 12)
    ctx = load_context(data)
    result = collect(data, ctx, jobs=1)
    renderer = _renderer(result, ctx, TEMPLATES)
    renders = RenderCache(tmp_path / "cache", "static", tmp_path / "docs")
    renderer.index = result.index = renders.watch(result.store, result.index, renderer, ctx.site)
    return result, renderer, renders


def test_recording_store_reads_noted_by_kind():
    store = ReplyStore()
    for n in range(3):
        store.append(make_reply(n), key=f"key{n}")
    with recording() as reads:
        store[1], store.key(2), store.commitments(0)
    assert reads == {("r", 1), ("b", 2), ("c", 0)}
    store[0]  # not recording: nothing noted
    assert len(reads) == 3


def test_recording_nested_reads_belong_to_the_outer_unit_too():
    store = ReplyStore()
    store.append(make_reply(1), key="key1")
    with recording() as outer:
        with recording() as inner:
            store[0]
    assert inner == outer == {("r", 0)}


def test_watched_index_notes_lists_lookups_and_postings(run):
    result, renderer, renders = run
    index = result.index
    with recording() as reads:
        reply = index.replies[0]
        index.related(reply)
    names = renders.facts.names(reads)
    kinds = {name.split("\x1f")[0] for name in names}
    assert {"l", "n", "p", "r"} <= kinds
    assert f"r\x1f{reply.id}" in names and "l\x1fall" in names


@pytest.mark.parametrize("other, same", [
    (lambda r: partial(r.listing, "a.md", "a", "标题", []), True),
    (lambda r: partial(r.listing, "a.md", "a", "另一个标题", []), False),
    (lambda r: partial(r.listing, "b.md", "a", "标题", []), False),
])
def test_names_equal_for_the_same_work_only(run, other, same):
    _, renderer, renders = run
    first = partial(renderer.listing, "a.md", "a", "标题", [])
    (name, _), (other_name, _) = renders.names([first, other(renderer)])
    assert name is not None and (name == other_name) == same


def test_names_hold_the_lists_of_a_task_as_facts(run):
    result, renderer, renders = run
    theme, replies = next(iter(result.index.themes.items()))
    (name, declared), = renders.names([partial(renderer.listing, "t.md", "t", theme.name, replies)])
    assert name is not None and declared == {f"l\x1fthemes\x1f('Theme', {theme.slug!r})"}


def test_names_none_for_a_task_that_cannot_be_described(run):
    _, renderer, renders = run
    (name, _), = renders.names([partial(renderer.listing, "a.md", "a", "标题", object())])
    assert name is None


def test_fresh_only_while_facts_and_files_are_as_saved(run, tmp_path):
    result, renderer, renders = run
    docs = tmp_path / "docs"
    page = docs / "page.md"
    docs.mkdir()
    page.write_text("内容\n", encoding="utf-8")
    reply = result.replies[0]
    position = result.store.position(reply.id)
    with recording() as reads:
        result.store[position]
    facts, signature = renders.read("unit", reads, frozenset())
    renders.ran("unit", signature, facts, ["page.md"])
    renders.save()

    again = RenderCache(tmp_path / "cache", "static", docs)
    again.watch(result.store, result.index)
    assert again.fresh("unit") == ["page.md"]
    assert RenderCache(tmp_path / "cache", "other code", docs).fresh("unit") is None  # nothing kept for it
    page.write_text("手工改动\n", encoding="utf-8")
    assert again.fresh("unit") is None
