"""Parsing `/mwg …` text into typed commands; pure, and the one place that knows the syntax."""

from __future__ import annotations

import contextvars
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from mwgbot.config import DurationTooLong, parse_duration
from mwgbot.domain import time_log
from mwgbot.domain.agenda import MAX_NOTE_SUMMARY, MAX_TOPIC
from mwgbot.domain.initiatives import MAX_DROP_REASON, MAX_FINISH_NOTE, MAX_LINK, MAX_UPDATE
from mwgbot.domain.meetings import format_duration
from mwgbot.domain.proposals import (
    MAX_NOTE,
    MAX_ORGANIZATION,
    MAX_REASON,
    MAX_TITLE,
    MAX_WINDOW,
    Stage,
    Verdict,
)
from mwgbot.slack import options
from mwgbot.slack.options import Option, shown, split_options
from mwgbot.slack.text import clean_line, escape

MAX_COMMAND_TEXT = 4000

# The parser's refusals; defined with the options, which raise them too.
UsageError = options.UsageError


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Propose:
    title: str | None
    window: timedelta | None = None
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True)
class Show:
    number: int


@dataclass(frozen=True)
class ListProposals:
    pass


@dataclass(frozen=True)
class Join:
    number: int


@dataclass(frozen=True)
class Leave:
    number: int


@dataclass(frozen=True)
class Object:
    number: int
    reason: str


@dataclass(frozen=True)
class Unobject:
    number: int


@dataclass(frozen=True)
class Withdraw:
    number: int


@dataclass(frozen=True)
class Resolve:
    number: int
    verdict: Verdict
    note: str


@dataclass(frozen=True)
class SetOrganization:
    organization: str | None  # None: show the current one
    clear: bool = False


@dataclass(frozen=True)
class Next:
    pass


@dataclass(frozen=True)
class MeetingSkip:
    day: date
    skip: bool


@dataclass(frozen=True)
class AgendaList:
    """`/mwg agenda`: the next meeting's topics."""


@dataclass(frozen=True)
class AgendaAdd:
    text: str


@dataclass(frozen=True)
class AgendaRemove:
    number: int


@dataclass(frozen=True)
class AgendaCarry:
    number: int


@dataclass(frozen=True)
class Notes:
    """`/mwg notes <link> [<summary>]`: the last meeting's notes or recording."""

    link: str
    summary: str | None = None


@dataclass(frozen=True)
class Meetings:
    """`/mwg meetings`: the last meetings with their topics and notes."""


@dataclass(frozen=True)
class Edit:
    number: int


@dataclass(frozen=True)
class History:
    number: int


@dataclass(frozen=True)
class Extend:
    number: int
    by: timedelta


@dataclass(frozen=True)
class LogTime:
    minutes: int
    what: str
    proposal_number: int | None = None
    worked_on: date | None = None  # None: today (UTC)


@dataclass(frozen=True)
class Hours:
    month: time_log.Month | None = None  # None: this month (UTC)


@dataclass(frozen=True)
class HoursTeam:
    month: time_log.Month | None = None


@dataclass(frozen=True)
class Unlog:
    entry: int


@dataclass(frozen=True)
class MyData:
    pass


@dataclass(frozen=True)
class ForgetMe:
    pass


@dataclass(frozen=True)
class Update:
    """`/mwg update <n> <text>`: a progress note."""

    number: int
    text: str


@dataclass(frozen=True)
class Done:
    """`/mwg done <n> [<link>] [<note>]`: the initiative is delivered."""

    number: int
    link: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Drop:
    """`/mwg drop <n> <reason>`: the initiative is no longer pursued."""

    number: int
    reason: str


Command = (
    Help
    | Propose
    | Show
    | ListProposals
    | Join
    | Leave
    | Object
    | Unobject
    | Withdraw
    | Resolve
    | SetOrganization
    | Next
    | MeetingSkip
    | AgendaList
    | AgendaAdd
    | AgendaRemove
    | AgendaCarry
    | Notes
    | Meetings
    | Edit
    | Extend
    | LogTime
    | Hours
    | HoursTeam
    | Unlog
    | History
    | MyData
    | ForgetMe
    | Update
    | Done
    | Drop
)

# One line per subcommand: `/mwg help` prints these, the usage hint points at them.
HELP_LINES = (
    (
        "propose &lt;title&gt; [--close 7d] [--stage awareness,interest]",
        "propose an initiative (no title: a form)",
    ),
    ("list", "open proposals, active initiatives and recent outcomes"),
    ("show &lt;n&gt;", "one proposal: state, window, who joined, objections"),
    ("join &lt;n&gt;", "take part in proposal #n"),
    ("leave &lt;n&gt;", "stop taking part in #n"),
    (
        "object &lt;n&gt; &lt;reason&gt;",
        "object to #n; it cannot pass by lazy consensus while you do",
    ),
    ("unobject &lt;n&gt;", "withdraw your objection to #n"),
    (
        "withdraw &lt;n&gt;",
        "withdraw your own open or escalated proposal (moderators: any open one)",
    ),
    (
        "edit &lt;n&gt;",
        "fix your open proposal's title, description, stages or flags (moderators: any)",
    ),
    (
        "extend &lt;n&gt; &lt;duration&gt;",
        "give your open proposal more time, e.g. `extend 4 3d` (moderators: any)",
    ),
    (
        "resolve &lt;n&gt; adopt|decline &lt;note&gt;",
        "moderators (organizers when no other moderator can): settle an escalated proposal",
    ),
    (
        "update &lt;n&gt; &lt;text&gt;",
        "owners: post progress on #n (in its thread and on its card)",
    ),
    (
        "done &lt;n&gt; [&lt;link&gt;] [&lt;note&gt;]",
        "owners: mark active initiative #n delivered, with a link to the result",
    ),
    (
        "drop &lt;n&gt; &lt;reason&gt;",
        "owners: mark active initiative #n dropped (no longer pursued)",
    ),
    ("org &lt;name&gt;", "set your organization (shown when you join); `org` alone shows it"),
    ("next", "the next meetings and the agenda as it stands"),
    (
        "meeting skip|unskip &lt;YYYY-MM-DD&gt;",
        "organizers: cancel or restore one meeting, up to two years ahead",
    ),
    ("agenda", "the next meeting's topics, with who added them"),
    ("agenda add &lt;topic&gt;", "put a topic on the next meeting's agenda"),
    ("agenda remove &lt;n&gt;", "take your topic n off the agenda (organizers: any)"),
    ("agenda carry &lt;n&gt;", "organizers: move topic n of the last meeting to the next"),
    (
        "notes &lt;link&gt; [&lt;summary&gt;]",
        "attach the last meeting's notes or recording (organizers, moderators, topic authors)",
    ),
    ("meetings", "the last meetings with their topics and notes"),
    (
        "log &lt;duration&gt; [#&lt;n&gt;] &lt;what&gt; [--date YYYY-MM-DD]",
        "log time you gave (45m, 2h, 1h30m; a day holds 24h), on #n if you like",
    ),
    ("hours [YYYY-MM]", "your time this month, against the suggested 10–20 h"),
    ("hours team [YYYY-MM]", "organizers and moderators: the team's time"),
    ("unlog &lt;entry&gt;", "remove one of your time entries"),
    ("history &lt;n&gt;", "everything that happened to #n, from the group's record"),
    ("mydata", "receive, in a direct message, everything the bot holds about you"),
    ("forget-me", "erase your data; your part in past decisions stays under a pseudonym"),
    ("help", "this list"),
)
USAGE_HINT = "Try `/mwg help` for the list of subcommands."

_NUMBER = re.compile(r"#?(\d{1,9})")
# A proposal of a named group, as typed anywhere: `edu#3` (the key in any case).
_GROUP_NUMBER = re.compile(r"([A-Za-z0-9]{1,16})#(\d{1,9})")
# The group a command's proposal reference named (`edu#3`), collected while one text is
# parsed (see `parse_reference`).
_named_group: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "mwgbot_named_group", default=None
)


def _proposal_number(word: str) -> int | None:
    """`3`, `#3` or `edu#3` as a number (the group remembered); None if it is none of them."""
    match = _NUMBER.fullmatch(word)
    if match is not None:
        return int(match.group(1))
    keyed = _GROUP_NUMBER.fullmatch(word)
    if keyed is None:
        return None
    named = _named_group.get()
    if named is not None:
        named.append(keyed.group(1).lower())
    return int(keyed.group(2))


LOG_USAGE = "log &lt;duration&gt; [#&lt;n&gt;] &lt;what&gt; [--date YYYY-MM-DD]"
PROPOSE_OPTIONS = (
    Option("close", "/mwg propose &lt;title&gt; --close 7d", needs="a duration"),
    Option(
        "stage",
        "/mwg propose &lt;title&gt; --stage awareness,interest",
        aliases=("stages",),
        listed=True,
        needs="a stage",
        choices=frozenset(stage.value for stage in Stage),
    ),
)
LOG_OPTIONS = (Option("date", "/mwg log 1h what you did --date 2026-11-30", needs="a day"),)


def help_text() -> str:
    lines = ["*/mwg* runs the Marketing Working Group's proposals and meetings:"]
    lines += [f"• `/mwg {usage}`: {what}" for usage, what in HELP_LINES]
    lines.append(
        "React on a proposal's card to join or object. Silence is assent: a proposal with no "
        "standing objection when its window closes is adopted."
    )
    return "\n".join(lines)


def unescape(text: str) -> str:
    """Slack sends `&`, `<` and `>` in a command's text as entities; work on what was typed.

    The text is escaped again, with everything else user-written, before any message.
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_reference(text: str) -> tuple[Command, str | None]:
    """The command, and the group key its proposal reference named (`edu#3`: "edu"), if any."""
    named: list[str] = []
    token = _named_group.set(named)
    try:
        command = parse(text)
    finally:
        _named_group.reset(token)
    return command, (named[0] if named else None)


def parse(text: str) -> Command:
    text = unescape(text)
    if len(text) > MAX_COMMAND_TEXT:
        raise UsageError(
            f"That is {len(text):,} characters; a command takes at most {MAX_COMMAND_TEXT:,}."
        )
    words = clean_line(text).split(" ")
    words = [w for w in words if w]
    if not words:
        raise UsageError("`/mwg` needs a subcommand. " + USAGE_HINT)
    verb, rest = words[0].lower(), words[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        guess = difflib.get_close_matches(verb[:30], _PARSERS, n=1, cutoff=0.6)
        if guess:
            raise UsageError(
                f"`{shown(verb, 30)}` is not a `/mwg` subcommand: did you mean `{guess[0]}`? "
                + USAGE_HINT
            )
        raise UsageError(f"`{shown(verb, 30)}` is not a `/mwg` subcommand. " + USAGE_HINT)
    return parser(rest)


def _number(words: list[str], usage: str) -> tuple[int, list[str]]:
    if not words:
        raise UsageError(f"Which proposal? Usage: `/mwg {usage}`")
    number = _proposal_number(words[0])
    if number is None:
        raise UsageError(f"`{shown(words[0])}` is not a proposal number. Usage: `/mwg {usage}`")
    if number < 1:
        raise UsageError("Proposal numbers start at #1.")
    return number, words[1:]


def _only_number(usage: str, words: list[str]) -> int:
    number, rest = _number(words, usage)
    if rest:
        raise UsageError(f"Too many words. Usage: `/mwg {usage}`")
    return number


def _bounded(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise UsageError(f"{what} is {len(text):,} characters; the most is {limit:,}.")
    return text


PROPOSE_TEXT_HINT = (
    "A title word cannot start with `--`: leave out the dashes, or type `/mwg propose` alone "
    "for a form."
)


def _parse_propose(words: list[str]) -> Propose:
    title_words, values = split_options(words, PROPOSE_OPTIONS, "/mwg propose", PROPOSE_TEXT_HINT)
    window = _window(values["close"]) if "close" in values else None
    stages = _parse_stages(values["stage"]) if "stage" in values else ()
    title = " ".join(title_words).strip()
    if not title:
        if window is not None or stages:
            raise UsageError("A proposal needs a title: `/mwg propose &lt;title&gt; --close 7d`.")
        return Propose(title=None)
    return Propose(title=_bounded(title, MAX_TITLE, "That title"), window=window, stages=stages)


def _window(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except DurationTooLong:
        raise UsageError(
            f"`--close {shown(value)}` is too long: a consensus window "
            f"is at most {MAX_WINDOW.days} days."
        ) from None
    except ValueError:
        raise UsageError(
            f"`--close {shown(value)}` is not a duration; write e.g. "
            "`--close 96h`, `--close 7d` or `--close 1d12h`."
        ) from None


def _parse_stages(value: str) -> tuple[Stage, ...]:
    chosen: list[Stage] = []
    # Quotes a client added around the list ("awareness, interest") are not part of a name.
    for name in (v.strip().strip("\"'“”‘’").lower() for v in value.split(",")):
        if not name:
            continue
        try:
            stage = Stage(name)
        except ValueError:
            known = ", ".join(s.value for s in Stage)
            raise UsageError(
                f"`{shown(name)}` is not an adopter-journey stage; use {known}."
            ) from None
        if stage not in chosen:
            chosen.append(stage)
    if not chosen:
        raise UsageError("`--stage` needs a stage, e.g. `--stage awareness,interest`.")
    return tuple(sorted(chosen, key=list(Stage).index))


def _parse_object(words: list[str]) -> Object:
    number, rest = _number(words, "object &lt;n&gt; &lt;reason&gt;")
    reason = " ".join(rest).strip()
    if not reason:
        raise UsageError(
            "Please give a reason, so the group can address it: "
            f"`/mwg object {number} &lt;reason&gt;`."
        )
    return Object(number, _bounded(reason, MAX_REASON, "That reason"))


def _parse_resolve(words: list[str]) -> Resolve:
    usage = "resolve &lt;n&gt; adopt|decline &lt;note&gt;"
    number, rest = _number(words, usage)
    if not rest or rest[0].lower() not in ("adopt", "decline"):
        raise UsageError(f"Say `adopt` or `decline`. Usage: `/mwg {usage}`")
    note = " ".join(rest[1:]).strip()
    if not note:
        raise UsageError(f"A decision needs a note for the group. Usage: `/mwg {usage}`")
    return Resolve(number, Verdict(rest[0].lower()), _bounded(note, MAX_NOTE, "That note"))


def _parse_update(words: list[str]) -> Update:
    number, rest = _number(words, "update &lt;n&gt; &lt;text&gt;")
    text = " ".join(rest).strip()
    if not text:
        raise UsageError(f"What is the news? `/mwg update {number} &lt;text&gt;`.")
    return Update(number, _bounded(text, MAX_UPDATE, "That update"))


# The first word after the number is a link when it looks like an address, a scheme or all,
# or a bare host name (`example.org/webinars`): a bad one is refused by the domain, never read
# as the start of the note (and so never lost).
_LINK_LIKE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|www\.|(?:javascript|data|vbscript|file|mailto|tel|ftp):"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/:?#]\S*)?$)",
    re.IGNORECASE,
)
# A link the Slack client formatted: `<https://…>` or `<https://…|label>`.
_SLACK_LINK = re.compile(r"^<([^<>|\s]+)(?:\|[^<>]*)?>\s*(.*)$")


def _parse_done(words: list[str]) -> Done:
    number, rest = _number(words, "done &lt;n&gt; [&lt;link&gt;] [&lt;note&gt;]")
    text = " ".join(rest).strip()
    link = None
    formatted = _SLACK_LINK.match(text)
    if formatted is not None:
        link, text = formatted.group(1), formatted.group(2).strip()
    elif rest and _LINK_LIKE.match(rest[0]):
        link, text = rest[0], " ".join(rest[1:]).strip()
    if link is not None:
        _bounded(link, MAX_LINK, "That link")
    return Done(number, link, _bounded(text, MAX_FINISH_NOTE, "That note") or None)


def _parse_drop(words: list[str]) -> Drop:
    number, rest = _number(words, "drop &lt;n&gt; &lt;reason&gt;")
    reason = " ".join(rest).strip()
    if not reason:
        raise UsageError(
            "Please say why it is dropped, so the group knows: "
            f"`/mwg drop {number} &lt;reason&gt;`."
        )
    return Drop(number, _bounded(reason, MAX_DROP_REASON, "That reason"))


def _parse_org(words: list[str]) -> SetOrganization:
    name = " ".join(words).strip()
    if not name:
        return SetOrganization(None)
    if name.lower() in ("-", "none", "clear"):
        return SetOrganization(None, clear=True)
    return SetOrganization(_bounded(name, MAX_ORGANIZATION, "That organization name"))


def _parse_meeting(words: list[str]) -> MeetingSkip:
    usage = "meeting skip|unskip &lt;YYYY-MM-DD&gt;"
    if not words or words[0].lower() not in ("skip", "unskip"):
        near = difflib.get_close_matches(words[0].lower(), ("skip", "unskip"), n=1) if words else []
        hint = f"did you mean `{near[0]}`? " if near else ""
        raise UsageError(f"{hint.capitalize()}Usage: `/mwg {usage}`")
    if len(words) == 1:
        raise UsageError(f"Which meeting? Give its day. Usage: `/mwg {usage}`")
    if len(words) > 2:
        raise UsageError(
            f"`/mwg meeting {words[0].lower()}` takes the day alone, with nothing after it. "
            f"Usage: `/mwg {usage}`"
        )
    try:
        day = time_log.parse_day(words[1])
    except time_log.BadTime as error:
        raise UsageError(str(error)) from None
    return MeetingSkip(day, skip=words[0].lower() == "skip")


AGENDA_USAGE = (
    "Usage: `/mwg agenda`, `/mwg agenda add &lt;topic&gt;`, `/mwg agenda remove &lt;n&gt;` "
    "or `/mwg agenda carry &lt;n&gt;`"
)


def _topic_number(words: list[str], verb: str) -> int:
    usage = f"`/mwg agenda {verb} &lt;n&gt;`; `/mwg agenda` lists the topics."
    if not words:
        raise UsageError(f"Which topic? Usage: {usage}")
    if len(words) > 1:
        raise UsageError(f"Give one topic number, one at a time. Usage: {usage}")
    match = _NUMBER.fullmatch(words[0])
    if match is None or int(match.group(1)) < 1:
        raise UsageError(f"`{shown(words[0])}` is not a topic number. Usage: {usage}")
    return int(match.group(1))


def _parse_agenda(words: list[str]) -> AgendaList | AgendaAdd | AgendaRemove | AgendaCarry:
    if not words:
        return AgendaList()
    verb, rest = words[0].lower(), words[1:]
    if verb == "list" and not rest:
        return AgendaList()
    if verb == "add":
        text = " ".join(rest).strip()
        if not text:
            raise UsageError("What is the topic? Usage: `/mwg agenda add &lt;topic&gt;`")
        return AgendaAdd(_bounded(text, MAX_TOPIC, "That topic"))
    if verb in ("remove", "rm", "delete"):
        return AgendaRemove(_topic_number(rest, "remove"))
    if verb == "carry":
        return AgendaCarry(_topic_number(rest, "carry"))
    near = difflib.get_close_matches(verb[:30], _AGENDA_VERBS, n=1, cutoff=0.6)
    if near:
        raise UsageError(
            f"`{shown(verb, 30)}` is not an agenda subcommand: did you mean `{near[0]}`? "
            + AGENDA_USAGE
        )
    raise UsageError(AGENDA_USAGE)


_AGENDA_VERBS = ("add", "remove", "carry", "list")


# A summary that starts with a link is a second link, not a summary.
_LINK_START = re.compile(r"^<?https?://", re.IGNORECASE)
NOTES_USAGE = "Usage: `/mwg notes &lt;link&gt; [&lt;summary&gt;]`"


def _parse_notes(words: list[str]) -> Notes:
    text = " ".join(words).strip()
    if not text:
        raise UsageError(f"Which link? {NOTES_USAGE}")
    formatted = _SLACK_LINK.match(text)
    if formatted is not None:
        link, summary = formatted.group(1), formatted.group(2).strip()
    else:
        link, summary = words[0], " ".join(words[1:]).strip()
    second = summary.split(" ", 1)[0]
    if _LINK_START.match(second):
        raise UsageError(
            f"One link per `/mwg notes`; nothing was attached. Send `{shown(second, 60)}` in a "
            f"second `/mwg notes`. {NOTES_USAGE}"
        )
    _bounded(link, MAX_LINK, "That link")
    return Notes(link, _bounded(summary, MAX_NOTE_SUMMARY, "That summary") or None)


def _parse_extend(words: list[str]) -> Extend:
    usage = "extend &lt;n&gt; &lt;duration&gt;"
    number, rest = _number(words, usage)
    if len(rest) != 1:
        raise UsageError(
            f"By how long? For example `/mwg extend {number} 3d`. Usage: `/mwg {usage}`"
        )
    value = rest[0].removeprefix("+")
    try:
        by = parse_duration(value)
    except DurationTooLong:
        raise UsageError(
            f"`{shown(value)}` is far longer than a consensus window may last "
            f"({format_duration(MAX_WINDOW)} in all)."
        ) from None
    except ValueError:
        raise UsageError(
            f"`{shown(value)}` is not a duration; write e.g. `3d`, `36h` or `1w`."
        ) from None
    return Extend(number, by)


LOG_TEXT_HINT = "To say it in what you did, leave out the dashes."


def _parse_log(words: list[str]) -> LogTime:
    example = "`/mwg log 2h30m drafted the case study`"
    rest, values = split_options(words, LOG_OPTIONS, "/mwg log", LOG_TEXT_HINT)
    try:
        day = time_log.parse_day(values["date"]) if "date" in values else None
        if not rest:
            raise UsageError(f"How long, and on what? Usage: `/mwg {LOG_USAGE}`, e.g. {example}.")
        minutes = time_log.parse_duration(rest[0])
        rest = rest[1:]
        number = None
        if rest and (rest[0].startswith("#") or _GROUP_NUMBER.fullmatch(rest[0])):
            number = _proposal_number(rest[0])
            if number is None or number < 1:
                raise UsageError(
                    f"`{shown(rest[0])}` is not a proposal number. Usage: `/mwg {LOG_USAGE}`"
                )
            rest = rest[1:]
        what = time_log.check_what(" ".join(rest).strip())
    except time_log.BadTime as refusal:
        raise UsageError(escape(str(refusal))) from None
    return LogTime(minutes, what, number, day)


def _month(word: str) -> time_log.Month:
    try:
        return time_log.parse_month(word)
    except time_log.BadTime as refusal:
        raise UsageError(escape(str(refusal))) from None


def _parse_hours(words: list[str]) -> Hours | HoursTeam:
    usage = "Usage: `/mwg hours [YYYY-MM]` or `/mwg hours team [YYYY-MM]`"
    team = bool(words) and words[0].lower() == "team"
    rest = words[1:] if team else words
    if len(rest) > 1:
        raise UsageError(f"Too many words. {usage}")
    month = _month(rest[0]) if rest else None
    return HoursTeam(month) if team else Hours(month)


def _parse_unlog(words: list[str]) -> Unlog:
    usage = "Usage: `/mwg unlog &lt;entry&gt;`; `/mwg hours` lists your entries."
    if len(words) != 1:
        raise UsageError(f"Which entry? {usage}")
    match = _NUMBER.fullmatch(words[0])
    if match is None:
        raise UsageError(f"`{shown(words[0])}` is not an entry number. {usage}")
    entry = int(match.group(1))
    if entry < 1:
        raise UsageError("Entry numbers start at 1.")
    return Unlog(entry)


def _no_arguments(command: Command, name: str) -> Callable[[list[str]], Command]:
    def parse_it(words: list[str]) -> Command:
        if words:
            raise UsageError(f"`/mwg {name}` takes no arguments.")
        return command

    return parse_it


_PARSERS: dict[str, Callable[[list[str]], Command]] = {
    "help": _no_arguments(Help(), "help"),
    "propose": _parse_propose,
    "show": lambda w: Show(_only_number("show &lt;n&gt;", w)),
    "list": _no_arguments(ListProposals(), "list"),
    "join": lambda w: Join(_only_number("join &lt;n&gt;", w)),
    "leave": lambda w: Leave(_only_number("leave &lt;n&gt;", w)),
    "object": _parse_object,
    "unobject": lambda w: Unobject(_only_number("unobject &lt;n&gt;", w)),
    "withdraw": lambda w: Withdraw(_only_number("withdraw &lt;n&gt;", w)),
    "resolve": _parse_resolve,
    "org": _parse_org,
    "next": _no_arguments(Next(), "next"),
    "meeting": _parse_meeting,
    "agenda": _parse_agenda,
    "notes": _parse_notes,
    "meetings": _no_arguments(Meetings(), "meetings"),
    "edit": lambda w: Edit(_only_number("edit &lt;n&gt;", w)),
    "extend": _parse_extend,
    "log": _parse_log,
    "hours": _parse_hours,
    "unlog": _parse_unlog,
    "history": lambda w: History(_only_number("history &lt;n&gt;", w)),
    "mydata": _no_arguments(MyData(), "mydata"),
    "forget-me": _no_arguments(ForgetMe(), "forget-me"),
    "update": _parse_update,
    "done": _parse_done,
    "drop": _parse_drop,
}


def subcommands() -> tuple[str, ...]:
    """The words `/mwg` understands first, as a member types them."""
    return tuple(_PARSERS)
