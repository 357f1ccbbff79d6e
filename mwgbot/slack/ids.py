"""Identifiers shared by Block Kit builders and listeners; never scattered as literals."""

COMMAND = "/mwg"

ACTION_JOIN = "mwg_join"
ACTION_OBJECT = "mwg_object"

VIEW_PROPOSE = "mwg_propose"
VIEW_OBJECT = "mwg_object_reason"
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
