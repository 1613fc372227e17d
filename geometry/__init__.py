"""Morphology and space: 3D points, frusta and per-segment geometry, SWC files, voxels and
the membrane mesh.

``import geometry`` stays light: scikit-image and PyVista are imported only by
:func:`membrane_mesh` and :meth:`Voxelization.to_pyvista`.
"""

from ._errors import GeometryError
from ._frusta import SegmentGeometry, segment_geometry, stylized_geometry
from ._mesh import membrane_mesh
from ._swc import SwcPoints, load_swc, read_swc
from ._voxelize import Voxelization, voxelize

__all__ = [
    "GeometryError",
    "SegmentGeometry",
    "SwcPoints",
    "Voxelization",
    "load_swc",
    "membrane_mesh",
    "read_swc",
    "segment_geometry",
    "stylized_geometry",
    "voxelize",
]
