"""Colours and proportions: high contrast, readable at arm's length on a 7-inch screen."""

from __future__ import annotations

Colour = tuple[int, int, int]

BACKGROUND: Colour = (16, 22, 32)
PANEL: Colour = (30, 39, 54)
TEXT: Colour = (245, 247, 250)
MUTED: Colour = (168, 178, 194)
ACCENT: Colour = (64, 156, 255)
OK: Colour = (46, 174, 96)
RETURN: Colour = (64, 156, 255)
WARN: Colour = (255, 183, 3)
DANGER: Colour = (214, 48, 49)
BUTTON_TEXT: Colour = (255, 255, 255)

# font sizes as fractions of the screen height
HUGE = 0.13
TITLE = 0.085
BODY = 0.062
SMALL = 0.046
MARGIN = 0.035  # of the screen height
