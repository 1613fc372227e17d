"""The cable package's exception."""

__all__ = ["CableError"]


class CableError(ValueError):
    """Bad input to the cable simulator: the message names the object, the value and the fix."""
