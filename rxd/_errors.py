"""The rxd package's exception."""

__all__ = ["RxdError"]


class RxdError(ValueError):
    """Bad rxd input: the message names the object, the value and the fix."""
