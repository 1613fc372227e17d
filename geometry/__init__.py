"""Morphology and space: 3D points, frusta and per-segment geometry."""

from ._errors import GeometryError
from ._frusta import SegmentGeometry, segment_geometry, stylized_geometry

__all__ = ["GeometryError", "SegmentGeometry", "segment_geometry", "stylized_geometry"]
