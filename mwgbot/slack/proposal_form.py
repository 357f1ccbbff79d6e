"""Reading the proposal forms (propose and edit): one validation, errors keyed by field; pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mwgbot.config import parse_duration
from mwgbot.domain import proposals as rules
from mwgbot.domain.editing import Wording, journey_order
from mwgbot.domain.errors import DomainError
from mwgbot.domain.proposals import Stage
from mwgbot.slack import ids
from mwgbot.slack.text import clean_block, clean_line, truncate

# Slack shows a field error under the field; keep it to a few lines.
FIELD_ERROR_LIMIT = 150


@dataclass(frozen=True)
class FormReading:
    wording: Wording
    errors: dict[str, str]  # block_id → message, for `response_action: errors`


def input_state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    """What a form's `state.values` holds for one input (empty if absent or malformed)."""
    state = (values.get(block_id) or {}).get(ids.INPUT)
    return state if isinstance(state, dict) else {}


def input_value(values: dict[str, Any], block_id: str) -> str | None:
    result = input_state(values, block_id).get("value")
    return str(result) if result is not None else None


def selected_values(values: dict[str, Any], block_id: str) -> list[str]:
    value = input_state(values, block_id)
    return [str(option.get("value")) for option in value.get("selected_options") or []]


def read_wording(values: dict[str, Any]) -> FormReading:
    """Title, description, stages and flags, as a member filled them in."""
    errors: dict[str, str] = {}
    title = clean_line(input_value(values, ids.BLOCK_TITLE) or "")
    if not title:
        errors[ids.BLOCK_TITLE] = "A proposal needs a title."
    elif len(title) > rules.MAX_TITLE:
        errors[ids.BLOCK_TITLE] = f"At most {rules.MAX_TITLE} characters."
    description = clean_block(input_value(values, ids.BLOCK_DESCRIPTION) or "")
    if len(description) > rules.MAX_DESCRIPTION:
        errors[ids.BLOCK_DESCRIPTION] = f"At most {rules.MAX_DESCRIPTION} characters."
    stages: list[Stage] = []
    for value in selected_values(values, ids.BLOCK_STAGES):
        try:
            stages.append(Stage(value))
        except ValueError:
            errors[ids.BLOCK_STAGES] = "Choose stages from the list."
    flags = set(selected_values(values, ids.BLOCK_FLAGS))
    wording = Wording(
        title=title,
        description=description,
        stages=journey_order(stages),
        collects_leads=ids.FLAG_LEADS in flags,
        cobranded=ids.FLAG_COBRANDED in flags,
    )
    return FormReading(wording, errors)


def read_window(values: dict[str, Any], minimum: timedelta) -> tuple[timedelta | None, str | None]:
    """The consensus window of the propose form (empty: the default), or the field's error."""
    text = (input_value(values, ids.BLOCK_WINDOW) or "").strip()
    if not text:
        return None, None
    try:
        return rules.validate_window(parse_duration(text), minimum), None
    except ValueError:
        return None, "Write a duration such as 96h, 7d or 2w."
    except DomainError as refusal:
        return None, field_error(str(refusal))


def field_error(text: str) -> str:
    return truncate(text, FIELD_ERROR_LIMIT)
