"""Colours and proportions for the kiosk screens.

Everything is light-on-dark with contrast well above WCAG AA so it reads at arm's length under
cage lighting, and every size is a fraction of the screen height so the same layout works on
the official 7" panel (800x480) and on 1080p monitors alike.
"""

from __future__ import annotations

Colour = tuple[int, int, int]

# surfaces
BACKGROUND: Colour = (14, 19, 28)
PANEL: Colour = (32, 41, 56)
PANEL_EDGE: Colour = (74, 86, 106)

# text
TEXT: Colour = (246, 248, 251)
MUTED: Colour = (172, 182, 198)
DARK_TEXT: Colour = (14, 19, 28)  # on the amber pill
GOOD_TEXT: Colour = (96, 224, 142)  # "All done" on the dark background
WARN: Colour = (255, 190, 40)  # refused reasons, cart messages, the offline pill
ACCENT: Colour = (96, 170, 255)  # stripe beside neutral messages

# fills that carry white text (each at least 4.5:1 against white)
CHECKOUT_FILL: Colour = (21, 122, 58)
RETURN_FILL: Colour = (28, 94, 190)
REFUSED_FILL: Colour = (190, 32, 38)
CONFIRM_FILL: Colour = (21, 122, 58)
DONE_FILL: Colour = (28, 94, 190)
DENIED_BACKGROUND: Colour = (160, 24, 30)

# font sizes, as fractions of the screen height (pygame's default font draws glyphs about 0.7
# of the requested size, so SMALL is still ~20 px tall on a 480-line panel)
HUGE = 0.17
TITLE = 0.10
BODY = 0.075
SMALL = 0.058
MIN_FONT_PX = 14

# geometry, as fractions of the screen height (TAG and REMOVE of the width)
MARGIN = 0.03
TOP_BAR = 0.14
ROW = 0.135
FOOTER = 0.16  # Confirm/Cancel/Done: about 12 mm tall on the 7" panel, easy to hit
TAG_WIDTH = 0.17
REMOVE_WIDTH = 0.15
MIN_TOUCH_PX = 40
# sizes follow the height on every landscape panel we support (5:3 to 16:9); on a narrower
# screen they follow 0.6 x the width instead
MAX_BASIS_PER_WIDTH = 0.6
