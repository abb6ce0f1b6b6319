"""The one error type of devstack."""


class StackError(Exception):
    """A stack operation failed; ``str()`` is the message shown to the user."""
