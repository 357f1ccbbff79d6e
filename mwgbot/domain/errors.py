"""Errors whose message is meant for the member who caused them."""


class DomainError(Exception):
    """A refusal the user should read; nothing was changed."""


class NotAllowed(DomainError):
    """The actor lacks the role this needs (moderator, organizer, proposer)."""


class NotPossible(DomainError):
    """The request does not fit the current state or the group's rules."""


class NotFound(DomainError):
    """The thing referred to does not exist."""


def no_such_proposal(number: int) -> NotFound:
    return NotFound(f"There is no proposal #{number}. `/mwg list` shows the open ones.")
