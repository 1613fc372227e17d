"""Reaction-diffusion in neurons (under construction: see the issue tracker)."""

__all__ = []
