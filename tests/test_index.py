"""The store a run keeps its replies in, and the index built over it."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from generator.index import RELATED, build_index, newest_first
from generator.model import Block, BlockKind, Reply
from generator.store import ReplyList, ReplyStore

AGENCIES = ["吉林省教育厅", "吉林省财政厅", "吉林省科学技术厅"]
THEMES = ["教育", "财政", "科技", "乡村振兴"]


def make_reply(n: int, **changes) -> Reply:
    """Reply n of a small varied corpus: agencies, themes, proposers and dates repeat
    with different periods, some replies undated."""
    fields = {name: None for name in Reply.FIELDS}
    fields.update(
        id=f"r{n:03d}", source=f"r{n:03d}.txt", title=f"关于第{n}号的答复",
        agency=AGENCIES[n % 3], co_agencies=(AGENCIES[(n + 1) % 3],) if n % 4 == 0 else (),
        themes=tuple(THEMES[(n + k) % 4] for k in range(1 + n % 2)),
        proposer=f"委员{n % 7}", proposer_type="委员",
        date=None if n % 9 == 0 else date(2020 + n % 4, 1 + n % 12, 1 + n % 28),
        sections=("一、总体情况", f"二、第{n}项"),
    )
    fields["year"] = fields["date"].year if fields["date"] else None
    fields.update(changes)
    return Reply(**fields)


@pytest.fixture
def replies():
    return [make_reply(n) for n in range(60)]


@pytest.fixture
def store(replies):
    store = ReplyStore()
    for n, reply in enumerate(replies):
        store.append(reply, key=f"key{n}")
    yield store
    store.close()


def test_store_reads_back_every_field(store, replies):
    assert len(store) == len(replies)
    assert list(store) == replies
    assert store[-1] == replies[-1] and store[5:8] == replies[5:8]
    assert [store.key(n) for n in (0, 59)] == ["key0", "key59"]
    assert list(store.keys()) == [f"key{n}" for n in range(60)]


def test_store_keeps_no_body():
    store = ReplyStore()
    store.append(make_reply(1, blocks=(Block(BlockKind.PARAGRAPH, "正文"),)))
    assert store[0].blocks == () and store[0] == make_reply(1)


def test_store_refuses_an_id_twice(store):
    with pytest.raises(KeyError):
        store.append(make_reply(3, title="另一件"))
    assert store.position("r003") == 3 and store.position("r999") is None
    assert len(store) == 60


def test_store_is_read_by_forked_processes(store):
    """Render workers are forked after the last append and read the same file."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: reads a reply, reports its title
        os.write(write, store[42].title.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1000).decode() == "关于第42号的答复"
    os.close(read)


def test_replylist_by_id_sorts_without_reading(store):
    view = store.view([5, 2, 40, 0])
    assert [r.id for r in view.by_id()] == ["r000", "r002", "r005", "r040"]
    assert [r.id for r in ReplyList(list(store), [5, 2, 0]).by_id()] == ["r000", "r002", "r005"]


@pytest.mark.parametrize("over", ["list", "store"])
def test_index_groupings_newest_first(replies, store, ctx, over):
    source = replies if over == "list" else store.view(range(len(store)))
    index = build_index(source, ctx.registry, ctx.classifier.themes)
    assert list(index.replies) == newest_first(replies)
    for theme, found in index.themes.items():
        assert list(found) == newest_first(r for r in replies if theme.name in r.themes)
    for proposer, found in index.proposers.items():
        assert list(found) == newest_first(r for r in replies if r.proposer == proposer.name)
    for year, found in index.years.items():
        assert list(found) == newest_first(r for r in replies if r.year == year)
    for agency, found in index.agencies.items():
        assert list(found.lead) == newest_first(r for r in replies if r.agency == agency.name)
        assert list(found.co) == newest_first(r for r in replies if agency.name in r.co_agencies)
    assert sum(len(found) for found in index.years.values()) == sum(1 for r in replies if r.year)


def test_index_related_shares_keys_and_excludes_itself(replies, ctx):
    index = build_index(replies, ctx.registry, ctx.classifier.themes)
    for reply in replies:
        related = index.related(reply)
        assert len(related) == RELATED and reply not in related
        mine = index.keys_of(reply)
        assert all(set(index.keys_of(other)) & set(mine) for other in related)
    # Same proposer (weight 2) and same agency (2) outrank a shared theme alone (1).
    first = index.related(replies[0])[0]
    assert first.proposer == replies[0].proposer or first.agency == replies[0].agency


@pytest.mark.parametrize("dates, expected", [
    ([None, None], (None, None)),
    ([date(2021, 5, 1)], (date(2021, 5, 1), date(2021, 5, 1))),
    ([date(2021, 5, 1), None, date(2023, 1, 2), None, date(2020, 2, 3)], (date(2020, 2, 3), date(2023, 1, 2))),
    ([], (None, None)),
])
def test_index_date_range_oldest_and_newest(ctx, dates, expected):
    replies = [make_reply(n, date=d, year=d.year if d else None) for n, d in enumerate(dates)]
    assert build_index(replies, ctx.registry, ctx.classifier.themes).date_range() == expected


def test_index_proposer_type_of_newest_reply(ctx):
    replies = [make_reply(1, proposer="九三学社", proposer_type="其他", date=date(2020, 1, 1)),
               make_reply(2, proposer="九三学社", proposer_type="党派团体", date=date(2023, 1, 1))]
    index = build_index(replies, ctx.registry, ctx.classifier.themes)
    assert index.proposer_by_name["九三学社"].type == "党派团体"


def test_session_keys_of_two_counties_differ():
    """Two counties' 县政协十届一次会议 are two pages; the same county's replies share one."""
    from dataclasses import replace

    from generator.index import session_key
    from generator.model import Reply

    base = Reply(id="a", source="a.txt", title=None, proposal_kind="提案", proposal_number=None,
                 proposal_title=None, session="甲县政协十届一次会议", session_body="政协", session_term=10,
                 session_meeting=1, proposer=None, proposer_type=None, doc_number=None, agency=None,
                 co_agencies=(), date=None, year=None, themes=(), sections=())
    other = replace(base, id="b", session="乙县政协十届一次会议")
    same = replace(base, id="c")
    national = replace(base, id="d", session="十四届全国人大二次会议", session_body="人大", session_term=14,
                       session_meeting=2)
    assert session_key(base) != session_key(other) and session_key(base) == session_key(same)
    assert session_key(base).place == "甲县" and session_key(national).place == "全国"
    assert session_key(national).slug == "national-npc-14-2"


def test_joint_filers_each_have_a_proposer_key(ctx):
    from dataclasses import replace

    from generator.index import build_index, proposer_names
    from generator.model import Reply

    reply = Reply(id="a", source="a.txt", title=None, proposal_kind="提案", proposal_number=None,
                  proposal_title=None, session=None, session_body=None, session_term=None,
                  session_meeting=None, proposer="马青、周丽", proposer_type="委员", doc_number=None,
                  agency=None, co_agencies=(), date=None, year=None, themes=(), sections=())
    group = replace(reply, id="b", proposer="民盟某县委员会", proposer_type="党派团体")
    assert proposer_names(reply) == ["马青", "周丽"] and proposer_names(group) == ["民盟某县委员会"]
    index = build_index([reply, group], ctx.registry, [])
    assert sorted(p.name for p in index.proposers) == ["周丽", "民盟某县委员会", "马青"]


def _promising(n: int) -> Reply:
    """Reply n of the corpus with n % 4 commitments (none for every fourth)."""
    return make_reply(n, commitments=tuple(f"第{n}件第{k}项" for k in range(1, 1 + n % 4)))


@pytest.mark.parametrize("cut", [slice(None), slice(0, 1), slice(2, 9), slice(5, 200), slice(40, None),
                                 slice(-3, None), slice(1, 30, 4)])
def test_commitment_list_slices_equal_the_whole(ctx, cut):
    index = build_index([_promising(n) for n in range(60)], ctx.registry, [])
    for year, replies in index.years.items():
        whole = [(r.id, k, text) for r in replies for k, text in enumerate(r.commitments, 1)]
        found = index.commitments_of(replies)
        assert len(found) == len(whole)
        assert [(c.reply.id, c.number, c.text) for c in found[cut]] == whole[cut]
        if whole:
            assert (found[-1].reply.id, found[-1].number) == whole[-1][:2]


def test_index_outcome_counts_of_lead_replies_only(ctx):
    replies = [make_reply(n, classification=[None, "A", "B", "C", "A"][n % 5]) for n in range(60)]
    index = build_index(replies, ctx.registry, [])
    for agency, found in index.agencies.items():
        lead = [r for r in replies if index.agency_by_name[r.agency] == agency]
        assert found.outcomes == Counter(r.classification or "" for r in lead)
        assert sum(found.outcomes.values()) == len(found.lead)



def test_store_keeps_commitments_apart_from_the_reply():
    """A reply read back carries no commitments (they are three times its metadata, and
    most pages do not show them); they are read on their own, by position or through a view."""
    replies = [_promising(n) for n in range(8)]
    store = ReplyStore()
    for reply in replies:
        store.append(reply)
    assert [store[n] for n in range(8)] == [replace(r, commitments=()) for r in replies]
    assert [store.commitments(n) for n in range(8)] == [r.commitments for r in replies]
    view = ReplyList(store.view(range(7, -1, -1)), [0, 3])  # a view of a view: replies 7 and 4
    assert [view.commitments(n) for n in (0, 1)] == [replies[7].commitments, replies[4].commitments]
    assert [view.commitment_count(n) for n in (0, 1)] == [3, 0]
