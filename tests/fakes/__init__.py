"""Fakes at the lowest layer: chips, cameras and clocks that the real driver code talks to."""
