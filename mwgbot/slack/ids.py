"""Identifiers shared by Block Kit builders and listeners; never scattered as literals."""

COMMAND = "/mwg"

ACTION_JOIN = "mwg_join"
ACTION_OBJECT = "mwg_object"

VIEW_PROPOSE = "mwg_propose"
VIEW_OBJECT = "mwg_object_reason"
VIEW_EDIT = "mwg_edit"
VIEW_FORGET = "mwg_forget_me"

BLOCK_TITLE = "title"
BLOCK_DESCRIPTION = "description"
BLOCK_STAGES = "stages"
BLOCK_WINDOW = "window"
BLOCK_FLAGS = "flags"
BLOCK_REASON = "reason"

INPUT = "value"

FLAG_LEADS = "collects_leads"
FLAG_COBRANDED = "cobranded"

# Metadata on every post, so an uncertain post can be found before posting again.
METADATA_EVENT_TYPE = "mwgbot_notice"
# A proposal's card carries this instead, with its group and number (and the marker), so that
# reading a channel's history back (reconciliation) can always tell which proposal it is.
CARD_METADATA_EVENT_TYPE = "mwg_proposal"

# The Home tab and the "Log time" form (members, issue 9).
ACTION_HOME_JOIN = "mwg_home_join"
ACTION_HOME_PROPOSE = "mwg_home_propose"
ACTION_HOME_LOG_TIME = "mwg_home_log_time"
VIEW_LOG_TIME = "mwg_log_time"
BLOCK_DURATION = "duration"
BLOCK_INITIATIVE = "initiative"
BLOCK_WHAT = "what"
BLOCK_DAY = "worked_on"

# Conflict resolution from the Home tab: a decider's Adopt and Decline, and the form with
# the note a decision needs (issue 16).
ACTION_HOME_ADOPT = "mwg_home_adopt"
ACTION_HOME_DECLINE = "mwg_home_decline"
VIEW_RESOLVE = "mwg_resolve"
BLOCK_NOTE = "note"
