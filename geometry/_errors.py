"""The geometry package's exception."""

__all__ = ["GeometryError"]


class GeometryError(ValueError):
    """Bad geometry input (3-D points, lengths, diameters, nseg); the message names the bad value."""
