
from generator.classify import MAX_THEMES, Classifier
from generator.model import Block, BlockKind, Reply, Theme

THEMES = [
    (Theme("光电信息", "optoelectronics"), (("光电", 2), ("激光", 1))),
    (Theme("金融", "finance"), (("贷款", 1), ("金融", 1))),
    (Theme("教育", "education"), (("高校", 1),)),
    (Theme("综合", "general"), ()),
]


def reply(proposal_title="", paragraphs=(), sections=()):
    fields = {name: None for name in Reply.FIELDS}
    fields.update(id="x", source="x.txt", co_agencies=(), themes=(), sections=tuple(sections),
                  proposal_title=proposal_title)
    blocks = tuple(Block(BlockKind.SECTION, s) for s in sections) + tuple(Block(BlockKind.PARAGRAPH, p) for p in paragraphs)
    return Reply(blocks=blocks, **fields)


def test_classify_best_theme_first():
    r = reply("关于发展光电产业的建议", ["光电企业获得贷款。", "激光产业。"])
    assert Classifier(THEMES).themes_for(r)[0] == "光电信息"


def test_classify_title_weighs_more_than_body():
    r = reply("关于金融支持的建议", ["光电。"])
    # 金融 in the title: 1 × 3 = 3; 光电 in the body: 2 × 1 = 2 (below MIN_SCORE)
    assert Classifier(THEMES).themes_for(r) == ("金融",)


def test_classify_weak_themes_dropped():
    r = reply("关于光电的建议", ["光电光电光电光电光电光电光电光电", "高校"])
    assert "教育" not in Classifier(THEMES).themes_for(r)


def test_classify_fallback_when_nothing_matches():
    assert Classifier(THEMES).themes_for(reply("关于某事的建议", ["无关内容。"])) == ("综合",)


def test_classify_overlapping_keywords_all_count():
    themes = [(Theme("A", "a"), (("光电", 1),)), (Theme("B", "b"), (("光电信息", 1),))]
    scores = Classifier(themes).scores(reply("", ["光电信息"]))
    assert scores == [1, 1]


def test_classify_at_most_five(ctx):
    r = reply("", ["光电 贷款 高校 产业集群 人才 教育 金融 汽车 医疗 交通 农业 生态 旅游 养老 能源"] * 5)
    themes = ctx.classifier.themes_for(r)
    assert 1 <= len(themes) <= MAX_THEMES



def test_classify_scores_equal_naive_count(ctx):
    """The one-pass matcher counts exactly what counting each keyword separately counts."""
    import re

    from generator.registry import load_themes
    from conftest import DATA, SEEDS
    from test_extract import run

    themes = load_themes(DATA / "themes.yml")
    for source in SEEDS:
        r, _ = run(source, ctx)
        texts = [(r.proposal_title or "", 3)] + [
            (b.text, 2 if b.kind is BlockKind.SECTION else 1) for b in r.blocks
            if b.kind in (BlockKind.SECTION, BlockKind.PARAGRAPH, BlockKind.SUBSECTION, BlockKind.OPENING)]
        naive = [sum(weight * factor * len(re.findall(f"(?={re.escape(word)})", text))
                     for word, weight in keywords for text, factor in texts)
                 for _, keywords in themes]
        assert ctx.classifier.scores(r) == naive
