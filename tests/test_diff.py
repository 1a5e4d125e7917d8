"""Paragraph-aligned diffs, their renderers, and change summaries."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.diff import (
    ChangeSummary,
    DiffError,
    Op,
    apply_ops,
    diff_versions,
    render_html,
    render_inline,
    render_json,
    render_unified,
    summarize_change,
)

STORY = "\n\n".join(
    [
        "The council voted on Tuesday to close the old bridge for repairs.",
        "Engineers found cracks in two of the main supports last spring.",
        "The mayor said the closure would last at least six months.",
        "Residents will be able to use a ferry service during the works.",
        "A public meeting is planned for next week at the town hall.",
    ]
)
TITLE = "Council closes old bridge"


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def edit(text: str, index: int, new: str) -> str:
    paras = paragraphs(text)
    paras[index] = new
    return "\n\n".join(paras)


# -- summaries ---------------------------------------------------------------------------------


def test_first_version_counts_everything_as_added():
    summary = summarize_change(None, None, TITLE, STORY)
    assert summary.kind == "first"
    assert summary.paragraphs_added == 5
    assert summary.words_added == len(STORY.split())
    assert summary.words_removed == 0
    assert not summary.title_changed


def test_identical_versions_are_unchanged():
    assert summarize_change(TITLE, STORY, TITLE, STORY).kind == "unchanged"


def test_misspelling_fixed_is_a_typo():
    before = STORY.replace("Engineers", "Enginers")
    summary = summarize_change(TITLE, before, TITLE, STORY)
    assert summary.kind == "typo"
    assert summary.paragraphs_edited == 1
    assert (summary.words_added, summary.words_removed) == (1, 1)


def test_a_changed_date_is_a_correction():
    summary = summarize_change(TITLE, STORY, TITLE, STORY.replace("Tuesday", "Wednesday"))
    assert summary.kind == "correction"


def test_two_different_words_are_wording():
    after = STORY.replace("old bridge", "ancient viaduct")
    assert summarize_change(TITLE, STORY, TITLE, after).kind == "wording"


def test_changed_phrase_is_wording():
    after = STORY.replace(
        "The mayor said the closure would last at least six months.",
        "The mayor warned that the closure could last well over six months.",
    )
    summary = summarize_change(TITLE, STORY, TITLE, after)
    assert summary.kind == "wording"
    assert summary.paragraphs_edited == 1
    assert summary.paragraphs_added == summary.paragraphs_removed == 0


def test_new_paragraph_is_an_addition():
    after = STORY + "\n\nUpdate: the ferry will be free for residents over 65."
    summary = summarize_change(TITLE, STORY, TITLE, after)
    assert summary.kind == "addition"
    assert summary.paragraphs_added == 1
    assert summary.words_added == 10
    assert summary.words_removed == 0


def test_dropped_paragraph_is_a_removal():
    after = "\n\n".join(paragraphs(STORY)[:3] + paragraphs(STORY)[4:])
    summary = summarize_change(TITLE, STORY, TITLE, after)
    assert summary.kind == "removal"
    assert summary.paragraphs_removed == 1
    assert summary.words_removed == len(paragraphs(STORY)[3].split())


def test_new_title_is_a_headline_change():
    summary = summarize_change(TITLE, STORY, "Bridge shut for six months", STORY)
    assert summary.kind == "headline"
    assert summary.title_changed
    assert summary.words_added == summary.words_removed == 0


def test_title_and_small_edit_is_still_a_headline_change():
    after = STORY.replace("six months", "eight months")
    summary = summarize_change(TITLE, STORY, "Bridge shut for eight months", after)
    assert summary.kind == "headline"
    assert summary.paragraphs_edited == 1


def test_replacing_most_of_the_text_is_a_rewrite():
    after = "\n\n".join(
        [
            "Flooding forced the evacuation of hundreds of homes overnight.",
            "Rescue teams used boats to reach families trapped upstairs.",
            "The council voted on Tuesday to close the old bridge for repairs.",
        ]
    )
    summary = summarize_change(TITLE, STORY, "Floods force evacuations", after)
    assert summary.kind == "rewrite"


def test_moved_paragraph_is_counted_as_a_move_not_add_and_remove():
    paras = paragraphs(STORY)
    after = "\n\n".join([paras[3], *paras[:3], paras[4]])
    summary = summarize_change(TITLE, STORY, TITLE, after)
    assert summary.paragraphs_moved == 1
    assert summary.paragraphs_added == summary.paragraphs_removed == 0
    assert summary.words_added == summary.words_removed == 0
    assert summary.kind == "wording"


def test_summary_round_trips_through_json():
    summary = summarize_change(TITLE, STORY, TITLE, STORY + "\n\nMore.")
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["kind"] == "addition"
    assert ChangeSummary.from_dict(data) == summary


# -- diff structure ----------------------------------------------------------------------------


def test_edited_paragraph_has_word_level_changes():
    after = STORY.replace("six months", "eight months")
    diff = diff_versions(STORY, after)
    kinds = [b.kind for b in diff.blocks]
    assert kinds == ["equal", "equal", "edited", "equal", "equal"]
    changes = [(w.old_text, w.new_text) for w in diff.blocks[2].words if w.tag != "equal"]
    assert changes == [("six", "eight")]


def test_word_ops_carry_offsets_into_both_texts():
    after = STORY.replace("six months", "eight months")
    diff = diff_versions(STORY, after)
    (op,) = [w for w in diff.blocks[2].words if w.tag != "equal"]
    assert STORY[op.old_start : op.old_end] == "six"
    assert after[op.new_start : op.new_end] == "eight"


def test_adjacent_word_changes_merge_into_one_phrase():
    before = "The quick brown fox jumps over the dog."
    after = "The slow red fox jumps over the dog."
    diff = diff_versions(before, after)
    changes = [(w.old_text, w.new_text) for w in diff.blocks[0].words if w.tag != "equal"]
    assert changes == [("quick brown", "slow red")]


def test_unrelated_replacement_is_removal_plus_addition():
    after = edit(STORY, 2, "Snow is expected across the region by Friday evening.")
    kinds = [b.kind for b in diff_versions(STORY, after).blocks]
    assert kinds == ["equal", "equal", "removed", "added", "equal", "equal"]


def test_moved_paragraph_is_recognised():
    paras = paragraphs(STORY)
    after = "\n\n".join([paras[4], *paras[:4]])
    diff = diff_versions(STORY, after)
    moved = {b.kind: (b.old_index, b.new_index) for b in diff.blocks if b.kind.startswith("moved")}
    assert moved == {"moved-in": (4, 0), "moved-out": (4, 0)}


def test_moved_and_lightly_edited_paragraph_shows_its_word_changes():
    paras = paragraphs(STORY)
    after = "\n\n".join([paras[4].replace("next week", "next Monday"), *paras[:4]])
    diff = diff_versions(STORY, after)
    (moved_in,) = [b for b in diff.blocks if b.kind == "moved-in"]
    assert [(w.old_text, w.new_text) for w in moved_in.words if w.tag != "equal"] == [
        ("week", "Monday")
    ]


def test_title_ops_describe_the_headline_change():
    diff = diff_versions(STORY, STORY, old_title=TITLE, new_title="Council shuts old bridge")
    assert diff.title_changed
    assert [(o.old_text, o.new_text) for o in diff.title_ops if o.tag != "equal"] == [
        ("closes", "shuts")
    ]


def test_diff_from_empty_text_is_all_added():
    diff = diff_versions("", STORY)
    assert {b.kind for b in diff.blocks} == {"added"}
    assert apply_ops("", diff.ops) == STORY


def test_apply_ops_rejects_ops_from_another_text():
    diff = diff_versions(STORY, STORY.replace("six", "eight"))
    with pytest.raises(DiffError):
        apply_ops(STORY.replace("council", "COUNCIL").replace("The", "A"), diff.ops)


def test_non_string_input_is_a_typed_error():
    with pytest.raises(DiffError):
        diff_versions(None, "x")  # type: ignore[arg-type]


# -- renderers --------------------------------------------------------------------------------

LONG = "\n\n".join(f"Paragraph {n} of the live blog, entry number {n}." for n in range(1, 21))
LONG_EDITED = LONG.replace("Paragraph 10 of", "Paragraph ten of")


def test_unified_collapses_unchanged_paragraphs_around_one_hunk():
    out = render_unified(diff_versions(LONG, LONG_EDITED), context=1)
    assert out.splitlines() == [
        "--- before",
        "+++ after",
        "@@ -9,3 +9,3 @@",
        " Paragraph 9 of the live blog, entry number 9.",
        "-Paragraph 10 of the live blog, entry number 10.",
        "+Paragraph ten of the live blog, entry number 10.",
        " Paragraph 11 of the live blog, entry number 11.",
    ]


def test_unified_labels_name_the_versions():
    out = render_unified(
        diff_versions(LONG, LONG_EDITED), old_label="version 1  t1", new_label="version 2  t2"
    )
    assert out.splitlines()[:3] == ["--- version 1  t1", "+++ version 2  t2", "@@ -9,3 +9,3 @@"]


def test_unified_shows_title_change_and_moves():
    paras = paragraphs(STORY)
    after = "\n\n".join([paras[4], *paras[:4]])
    out = render_unified(diff_versions(STORY, after, old_title="A", new_title="B"), context=0)
    assert "-# A\n+# B\n" in out
    assert f"+{paras[4]}  [moved from ¶5]" in out
    assert f"-{paras[4]}  [moved to ¶1]" in out


def test_inline_marks_words_and_collapses():
    out = render_inline(diff_versions(LONG, LONG_EDITED), color=False, context=0)
    assert out == (
        "[… 9 unchanged paragraphs …]\n\n"
        "Paragraph [-10-]{+ten+} of the live blog, entry number 10.\n\n"
        "[… 10 unchanged paragraphs …]\n"
    )
    assert "\x1b[" not in out


def test_inline_uses_ansi_colours_only_when_asked():
    diff = diff_versions("a cat sat", "a dog sat")
    coloured = render_inline(diff, color=True)
    assert "\x1b[31m" in coloured and "\x1b[32m" in coloured
    assert "[-" not in coloured


def test_terminal_renderers_neutralise_control_characters_from_the_page():
    diff = diff_versions("safe", "safe \x1b]0;pwned\x07 text")
    for out in (render_inline(diff, color=False), render_unified(diff)):
        assert "\x1b" not in out and "\x07" not in out
    coloured = render_inline(diff, color=True)
    assert re.search(r"\x1b(?!\[\d+m)", coloured) is None  # only our own colour codes


def test_json_is_serializable_and_rebuilds_the_new_text():
    after = edit(STORY, 1, "Engineers found cracks in three of the main supports in May.")
    data = json.loads(
        json.dumps(render_json(diff_versions(STORY, after, old_title="A", new_title="A")))
    )
    assert data["summary"]["kind"] == "correction"  # two -> three, last spring -> in May
    assert data["title_changed"] is False
    rebuilt = []
    for op in data["ops"]:
        rebuilt.append(
            STORY[op["old_start"] : op["old_end"]] if op["op"] == "equal" else op["new_text"]
        )
    assert "".join(rebuilt) == after
    assert [b["kind"] for b in data["blocks"]][1] == "edited"


HOSTILE = 'Breaking <script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.mark.parametrize("mode", ["side-by-side", "inline"])
def test_html_escapes_archived_text(mode):
    diff = diff_versions(
        STORY, STORY + "\n\n" + HOSTILE, old_title="<b>old</b>", new_title="<i>new</i>"
    )
    out = render_html(diff, mode, old_label="<v1>", new_label="v2")
    assert "<script>" not in out and "<img" not in out and "<b>old" not in out
    assert "<i>new" not in out and "<v1>" not in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in out


def test_html_side_by_side_puts_deleted_words_left_and_inserted_right():
    out = render_html(diff_versions(LONG, LONG_EDITED), "side-by-side", context=0)
    assert '<td class="na-old" data-paragraph="10">Paragraph <del>10</del> of' in out
    assert '<td class="na-new" data-paragraph="10">Paragraph <ins>ten</ins> of' in out
    assert out.count("<details>") == 2
    assert "<summary>9 unchanged paragraphs</summary>" in out


def test_html_inline_has_both_marks_in_one_paragraph():
    out = render_html(diff_versions(LONG, LONG_EDITED), "inline", context=None)
    assert '<p class="na-para na-edited">Paragraph <del>10</del><ins>ten</ins> of' in out
    assert "<details" not in out


def test_html_rejects_unknown_mode():
    with pytest.raises(DiffError):
        render_html(diff_versions("a", "b"), "sideways")  # type: ignore[arg-type]


def test_negative_context_is_rejected():
    with pytest.raises(DiffError):
        render_unified(diff_versions("a", "b"), context=-1)


def test_apply_ops_accepts_op_values():
    assert (
        apply_ops("ab", [Op("equal", 0, 1, 0, 1, "a", "a"), Op("replace", 1, 2, 1, 2, "b", "c")])
        == "ac"
    )


# -- property: applying the ops to A gives B ---------------------------------------------------

_words = st.sampled_from(
    ["the", "mayor", "said", "bridge", "six", "months", "ferry", "é", "x", "—", ",", ".", "don't"]
)
_paragraph = st.lists(_words, min_size=0, max_size=8).map(" ".join)
_text = st.lists(_paragraph, min_size=0, max_size=6).map("\n\n".join)
_raw = st.text(alphabet=st.sampled_from(list("ab \n.,é")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_text, _text)
def test_ops_turn_old_into_new_for_paragraph_texts(old, new):
    diff = diff_versions(old, new)
    assert apply_ops(old, diff.ops) == new
    # ops are contiguous over the new text too
    assert "".join(op.new_text for op in diff.ops) == new
    for op in diff.ops:
        assert new[op.new_start : op.new_end] == op.new_text


@settings(max_examples=300, deadline=None)
@given(_raw, _raw)
def test_ops_turn_old_into_new_for_arbitrary_texts(old, new):
    diff = diff_versions(old, new)
    assert apply_ops(old, diff.ops) == new


@settings(max_examples=200, deadline=None)
@given(_text, _text)
def test_word_ops_locate_their_text_in_both_versions(old, new):
    diff = diff_versions(old, new)
    for block in diff.blocks:
        for w in block.words:
            assert old[w.old_start : w.old_end] == w.old_text
            assert new[w.new_start : w.new_end] == w.new_text


@settings(max_examples=200, deadline=None)
@given(_text, _text)
def test_summary_kind_is_one_of_the_documented_kinds(old, new):
    summary = summarize_change("t", old, "t", new)
    assert summary.kind in {"typo", "wording", "addition", "removal", "rewrite", "unchanged"}
    assert (summary.kind == "unchanged") == (old == new)


def test_very_long_paragraph_is_aligned_by_sentence_and_stays_exact():
    sentences = [f"Update {n}: officials confirmed item {n} of the report." for n in range(800)]
    old = " ".join(sentences)
    sentences[100] = "Update 100: officials denied item 100 of the report."
    sentences[700] = "Update 700: officials confirmed item 701 of the report."
    new = " ".join(sentences)
    diff = diff_versions(old, new)
    assert apply_ops(old, diff.ops) == new
    (block,) = diff.blocks
    assert [(w.old_text, w.new_text) for w in block.words if w.tag != "equal"] == [
        ("confirmed", "denied"),
        ("700", "701"),
    ]


def test_many_replaced_paragraphs_still_pair_up_as_edits():
    old = "\n\n".join(
        f"Entry {n}: the minister said the vote would happen soon." for n in range(80)
    )
    new = old.replace(" soon.", " later.")
    kinds = {b.kind for b in diff_versions(old, new).blocks}
    assert kinds == {"edited"}
    summary = summarize_change("t", old, "t", new)
    assert (summary.paragraphs_edited, summary.words_added, summary.words_removed) == (80, 80, 80)


_hostile_words = st.sampled_from(["<b>", "&amp;", '"', "'", "<script>", "x", "\x1b[2J", "é"])
_hostile_text = st.lists(st.lists(_hostile_words, max_size=5).map(" ".join), max_size=4).map(
    "\n\n".join
)


@settings(max_examples=150, deadline=None)
@given(_hostile_text, _hostile_text, _hostile_words, _hostile_words)
def test_renderers_escape_whatever_the_texts(old, new, old_title, new_title):
    diff = diff_versions(old, new, old_title=old_title, new_title=new_title)
    for mode in ("side-by-side", "inline"):
        out = render_html(diff, mode, context=None)
        assert "<b>" not in out and "<script>" not in out
        assert '"' not in re.sub(r'(class|data-paragraph|colspan)="[^"]*"', "", out)
    assert "\x1b" not in render_unified(diff) + render_inline(diff, color=False)
    json.dumps(render_json(diff))


# Change kinds a newsroom uses, on pairs of the kind real corrections pages list.
LEDE = (
    "Voters in Kestovia went to the polls on Tuesday, with turnout by mid-afternoon running "
    "3.2 points above the last vote, election officials in Vesna said."
)
BODY = (
    "The governing coalition, led by Anton Haddad, has campaigned on its record on jobs, while "
    "the opposition could still win if younger voters turn out."
)
ARTICLE = f"{LEDE}\n\n{BODY}"


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        # typo: a misspelling fixed
        (ARTICLE.replace("coalition", "coaliton"), ARTICLE, "typo"),
        (
            ARTICLE + " The cadidates met.",
            ARTICLE + " The candidates met.",
            "typo",
        ),
        (ARTICLE.replace("jobs,", "jobs jobs,"), ARTICLE, "typo"),
        # correction: a date, a number or a name changed
        (ARTICLE, ARTICLE.replace("Tuesday", "Monday"), "correction"),
        (ARTICLE, ARTICLE.replace("3.2 points", "2.3 points"), "correction"),
        (ARTICLE, ARTICLE.replace("Anton Haddad", "Anton Hadad"), "correction"),
        (ARTICLE + " It opens in June.", ARTICLE + " It opens in July.", "correction"),
        # wording: a changed word
        (ARTICLE, ARTICLE.replace("could", "might"), "wording"),
        (ARTICLE, ARTICLE.replace("has campaigned on", "has run on"), "wording"),
        # addition, removal, headline, rewrite
        (ARTICLE, ARTICLE + "\n\nUpdate: Polls closed at 8pm and counting has begun.", "addition"),
        (
            ARTICLE + "\n\nA paragraph the editors cut before the evening edition.",
            ARTICLE,
            "removal",
        ),
        (
            ARTICLE,
            "Results are expected overnight; nothing else is known yet about the count.",
            "rewrite",
        ),
    ],
)
def test_newsroom_change_kinds(old: str, new: str, kind: str) -> None:
    assert summarize_change("Kestovia votes", old, "Kestovia votes", new).kind == kind


def test_a_new_headline_and_a_live_blogs_new_post() -> None:
    assert (
        summarize_change("Kestovia votes", ARTICLE, "Kestovia goes to the polls", ARTICLE).kind
        == "headline"
    )
    intro = "Follow the count with us. Times are UTC."
    before = f"{intro}\n\n21:05 Polls have closed in the capital."
    after = (
        f"{intro}\n\n21:40 First results from the north.\n\n21:05 Polls have closed in the capital."
    )
    assert summarize_change("Live", before, "Live", after, live=True).kind == "live-update"
    # the same change to an ordinary article is an addition; a typo in a live blog stays a typo
    assert summarize_change("Live", before, "Live", after).kind == "addition"
    fixed = before.replace("closed", "clsoed")
    assert summarize_change("Live", fixed, "Live", before, live=True).kind == "typo"
