"""The 检索 page's facets (generator/facets.py): each reply's values, the tables of
find/facets.js and the rows of find/replies.js agree with the open data; the reply pages
carry the same values as Pagefind filters."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date

import pytest

from generator.facets import FACETS, NO_OUTCOME, facet_tables, reply_facets, sort_value
from generator.pipeline import collect, render_all

from conftest import copies_data_dir


@pytest.fixture(scope="module")
def run(tmp_path_factory, ctx):
    """Twelve copies of the samples, some given an outcome, a co-agency, no date or
    withheld by a sidecar."""
    data = copies_data_dir(tmp_path_factory.mktemp("facets") / "data", 12)
    sidecars = {"r001": "classification: A\n", "r002": "classification: C\ndate: null\nyear: null\n",
                "r003": "publish: none\n", "r004": "classification: B\n"}
    for stem, text in sidecars.items():
        (data / "replies" / f"{stem}.yml").write_text(text, encoding="utf-8")
    from generator.pipeline import load_context
    context = load_context(data)
    result = collect(data, context, jobs=1)
    return result, render_all(result, context)


def script_data(text: str, name: str):
    prefix = f"window.{name}="
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix):-2])


def test_facet_tables_count_the_open_data(run):
    result, files = run
    records = json.loads(files["data/replies.json"])
    tables = {t["key"]: t for t in script_data(files["find/facets.js"], "REPLY_FACETS")["facets"]}
    assert [t for t in tables] == [f.key for f in FACETS]
    names = {key: {v[0]: v[1] for v in t["values"]} for key, t in tables.items()}
    counts = {key: {names[key][v[0]]: v[2] for v in t["values"]} for key, t in tables.items()}
    expected_agency = Counter(name for r in records for name in dict.fromkeys([r["agency"], *r["co_agencies"]]) if name)
    assert counts["agency"] == expected_agency
    assert counts["lead"] == Counter(r["agency"] for r in records if r["agency"])
    assert counts["theme"] == Counter(t for r in records for t in r["themes"])
    assert counts["session"] == Counter(r["session"] for r in records if r["session"])
    assert counts["year"] == Counter(f"{r['year']}年" for r in records if r["year"])
    assert counts["kind"] == Counter(r["proposal_kind"] for r in records if r["proposal_kind"])
    assert counts["ptype"] == Counter(r["proposer_type"] for r in records if r["proposer_type"])
    outcomes = Counter(r["classification"] for r in records)
    assert {value: count for value, _, count in tables["outcome"]["values"]} == {
        (letter.lower() if letter else NO_OUTCOME): n for letter, n in outcomes.items()}
    assert [v[0] for v in tables["outcome"]["values"]][:3] == ["a", "b", "c"]  # in class order
    assert [v[0] for v in tables["year"]["values"]] == sorted(names["year"], reverse=True)


def test_rows_one_per_published_reply_newest_first(run):
    result, files = run
    rows = script_data(files["find/replies.js"], "REPLY_ROWS")
    tables = script_data(files["find/facets.js"], "REPLY_FACETS")["facets"]
    assert [row[0] for row in rows] == [r.id for r in result.index.replies]
    assert "r003" not in {row[0] for row in rows}  # withheld
    for row, reply in zip(rows, result.index.replies):
        values = reply_facets(reply, result.index)
        assert {f.key: [tables[n]["values"][p][0] for p in row[6][n]] for n, f in enumerate(FACETS)} == values
        assert row[3] == (reply.date.isoformat() if reply.date else "")


def test_postings_list_each_values_replies(run):
    """find/postings.js, decoded as find.js does: each facet value's replies, by position."""
    result, files = run
    data = script_data(files["find/postings.js"], "REPLY_POSTINGS")
    tables = script_data(files["find/facets.js"], "REPLY_FACETS")["facets"]
    ids = data["ids"].split("\n")
    assert ids == [r.id for r in result.index.replies]
    for n, facet in enumerate(FACETS):
        for m, (value, _, count) in enumerate(tables[n]["values"]):
            steps = [int(step, 36) for step in data["postings"][n][m].split(",")] if data["postings"][n][m] else []
            positions = [sum(steps[:k + 1]) for k in range(len(steps))]
            expected = [i for i, reply in enumerate(result.index.replies)
                        if value in reply_facets(reply, result.index)[facet.key]]
            assert positions == expected and len(positions) == count, (facet.key, value)


def test_reply_page_carries_its_facets_as_pagefind_filters(run):
    result, files = run
    for reply in result.replies:
        page = files[f"replies/{reply.id}.md"]
        marks = re.findall(r'data-pagefind-filter="([^":]+):([^"]*)"', page)
        expected = [(key, value) for key, values in reply_facets(reply, result.index).items() for value in values]
        assert marks == [("page", "reply"), *expected]
        assert re.findall(r'data-pagefind-sort="date:([^"]*)"', page) == [sort_value(reply)]
        assert all(re.fullmatch(r"[a-z0-9-]+", value) for _, value in marks)  # Pagefind matches ASCII values only


def test_sort_value_orders_by_date_and_never_ties():
    from dataclasses import replace
    from generator.model import Reply

    base = Reply(id="b", source="b.txt", title=None, proposal_kind=None, proposal_number=None, proposal_title=None,
                 session=None, session_body=None, session_term=None, session_meeting=None, proposer=None,
                 proposer_type=None, doc_number=None, agency=None, co_agencies=(), date=date(2024, 5, 2),
                 year=2024, themes=(), sections=())
    values = [sort_value(base), sort_value(replace(base, id="a")), sort_value(replace(base, date=date(2023, 1, 1))),
              sort_value(replace(base, date=None, year=None))]
    assert sorted(values, reverse=True) == [values[0], values[1], values[2], values[3]]
    assert len(set(values)) == 4


def test_facet_tables_empty_archive(ctx):
    from generator.index import build_index

    index = build_index([], ctx.registry, ctx.classifier.themes)
    assert all(table["values"] == [] for table in facet_tables(index))
