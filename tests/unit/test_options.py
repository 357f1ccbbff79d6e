"""The options of `/mwg propose` and `/mwg log`, as members really type them: pure, no Slack.

A mistyped option is refused with the options the subcommand knows and the nearest one; it is
never read as part of a title that would be posted to the whole channel.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mwgbot.domain.proposals import Stage
from mwgbot.slack import commands as c
from mwgbot.slack.options import Option, split_options

AWARENESS_INTEREST = (Stage.AWARENESS, Stage.INTEREST)
FOUR_DAYS = timedelta(days=4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("propose Booth --close 4d", c.Propose("Booth", FOUR_DAYS)),
        ("propose Booth --close=4d", c.Propose("Booth", FOUR_DAYS)),
        ("propose Booth —close 4d", c.Propose("Booth", FOUR_DAYS)),  # `--` as Slack shows it
        ("propose Booth –close 4d", c.Propose("Booth", FOUR_DAYS)),  # … or as an en dash
        ("propose Booth —close=4d", c.Propose("Booth", FOUR_DAYS)),
        ("propose Booth --Close 4d", c.Propose("Booth", FOUR_DAYS)),
        ("propose Booth --CLOSE=4D", c.Propose("Booth", FOUR_DAYS)),
        ("propose --close 4d Booth", c.Propose("Booth", FOUR_DAYS)),
        ("propose Booth --close= 4d", c.Propose("Booth", FOUR_DAYS)),
        # Hyphens and dashes inside a title are text.
        ("propose Booth - Berlin 2027", c.Propose("Booth - Berlin 2027")),
        ("propose Co-branded webinar", c.Propose("Co-branded webinar")),
        ("propose Booth — Berlin", c.Propose("Booth — Berlin")),
        ("propose Booth -- Berlin", c.Propose("Booth -- Berlin")),
        ("propose Top-10 tips -2027", c.Propose("Top-10 tips -2027")),
        ("propose 2026–2027 plan", c.Propose("2026–2027 plan")),
        ("propose Booth -berlin", c.Propose("Booth -berlin")),
        ("propose Booth --4d", c.Propose("Booth --4d")),
        ("propose Booth --&lt;!channel&gt;", c.Propose("Booth --<!channel>")),
    ],
)
def test_options_as_members_type_them(text: str, expected: c.Propose) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "propose Webinar --stage awareness, interest",
        "propose Webinar --stage=awareness,interest",
        "propose Webinar --stage=awareness, interest",
        "propose Webinar --stage awareness ,interest",
        "propose Webinar --stage awareness , interest",
        "propose Webinar --stages Awareness,INTEREST",
        "propose Webinar --stage awareness,interest,",
        "propose Webinar --stage “awareness, interest”",
        "propose --stage awareness, interest Webinar",
        "propose Webinar —stage interest, awareness",
        "propose Webinar --stage awareness interest",
        "propose --stage Awareness Interest Webinar",
    ],
)
def test_a_stage_list_with_spaces_is_two_stages_not_title_text(text: str) -> None:
    assert c.parse(text) == c.Propose("Webinar", None, AWARENESS_INTEREST)


def test_a_stage_list_stops_at_a_word_that_is_no_stage() -> None:
    assert c.parse("propose --stage action plan for 2027") == c.Propose(
        "plan for 2027", None, (Stage.ACTION,)
    )


def test_a_stage_list_ending_in_a_comma_stops_at_the_next_option() -> None:
    assert c.parse("propose Webinar --stage awareness, interest, --close 4d") == c.Propose(
        "Webinar", FOUR_DAYS, AWARENESS_INTEREST
    )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        (
            "propose Booth --closes 4d",
            "`--closes` is not an option of `/mwg propose`: did you mean `--close`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth —closes 4d",
            "`--closes` is not an option of `/mwg propose`: did you mean `--close`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth --stag awareness",
            "`--stag` is not an option of `/mwg propose`: did you mean `--stage`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth --Closes=4d",
            "`--Closes` is not an option of `/mwg propose`: did you mean `--close`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth -close 4d",
            "`-close` is not an option of `/mwg propose`: did you mean `--close`? "
            "It knows --close, --stage.",
        ),
        (
            "propose Booth --priority high",
            "`--priority` is not an option of `/mwg propose`. It knows --close, --stage. "
            "A title word cannot start with `--`: leave out the dashes, or type `/mwg propose` "
            "alone for a form.",
        ),
        (
            "log 1h drafted --dat 2026-12-01",
            "`--dat` is not an option of `/mwg log`: did you mean `--date`? It knows --date.",
        ),
        (
            "log 1h fixed the --verbose flag",
            "`--verbose` is not an option of `/mwg log`. It knows --date. To say it in what "
            "you did, leave out the dashes.",
        ),
        ("propose Booth --close 4d --close 5d", "Give `--close` once."),
        ("propose Booth --stage action --stages awareness", "Give `--stage` once."),
        ("log 1h x --date 2026-12-01 --date=2026-12-02", "Give `--date` once."),
        (
            "propose Booth --close",
            "`--close` needs a duration, e.g. `/mwg propose &lt;title&gt; --close 7d`.",
        ),
        (
            "propose Booth --close --stage action",
            "`--close` needs a duration, e.g. `/mwg propose &lt;title&gt; --close 7d`.",
        ),
        (
            "propose Booth --stage",
            "`--stage` needs a stage, e.g. "
            "`/mwg propose &lt;title&gt; --stage awareness,interest`.",
        ),
        (
            "log 1h x --date",
            "`--date` needs a day, e.g. `/mwg log 1h what you did --date 2026-11-30`.",
        ),
    ],
)
def test_an_unknown_or_misused_option_is_refused_naming_the_known_ones(
    text: str, answer: str
) -> None:
    with pytest.raises(c.UsageError) as refused:
        c.parse(text)
    assert str(refused.value).startswith(answer), str(refused.value)


def test_a_name_of_odd_characters_is_echoed_escaped() -> None:
    with pytest.raises(c.UsageError) as refused:
        c.parse("propose Booth --a<b>&c")
    assert "`--a&lt;b&gt;&amp;c` is not an option" in str(refused.value)


def test_a_long_unknown_option_is_cut_short() -> None:
    with pytest.raises(c.UsageError) as refused:
        c.parse("propose Booth --" + "x" * 500)
    assert len(str(refused.value)) < 300


def test_log_reads_its_date_in_every_spelling() -> None:
    for spelling in (
        "--date 2026-12-01",
        "--date=2026-12-01",
        "—date 2026-12-01",
        "--Date 2026-12-01",
    ):
        assert c.parse(f"log 1h drafted {spelling}") == c.LogTime(
            60, "drafted", None, date(2026, 12, 1)
        )


def test_split_options_keeps_text_and_values_apart() -> None:
    known = (Option("close", "x --close 7d"), Option("stage", "x --stage a", listed=True))
    text, values = split_options(
        ["A", "--stage", "x,", "y", "B", "—close=3d", "C"], known, "/mwg propose", ""
    )
    assert text == ["A", "B", "C"]
    assert values == {"stage": "x,y", "close": "3d"}
