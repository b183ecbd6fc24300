"""Colours and proportions for the kiosk screens.

Everything is light-on-dark with contrast well above WCAG AA so it reads at arm's length under
cage lighting, and every size is a fraction of the screen height so the same layout works on
the official 7" panel (800x480, about 5.2 px per mm) and on 1080p monitors alike.
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
DARK_TEXT: Colour = (14, 19, 28)  # on amber
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
RETURNED_BACKGROUND: Colour = (21, 110, 52)  # a return station's "taken back", whole screen

# a return's condition, as chosen: none of them is the red of a refusal
CONDITION_FILL: dict[str, Colour] = {
    "ok": (21, 122, 58),  # green, white text
    "damaged": (255, 190, 40),  # amber, dark text
    "missing_part": (118, 72, 196),  # violet, white text
}
CONDITION_INK: dict[str, Colour] = {
    "ok": TEXT,
    "damaged": DARK_TEXT,
    "missing_part": TEXT,
}

# font sizes (the em, in px) as fractions of the screen height: at 480 lines SMALL is 25 px,
# whose capitals stand 18 px tall (3.5 mm on the 7" panel)
HUGE = 0.115
TITLE = 0.07
BODY = 0.0563
SMALL = 0.0521
MIN_FONT_PX = 12
MIN_READABLE_CAP_PX = 18  # tests hold every text on the 7" panel and larger to this

# geometry, as fractions of the screen height
MARGIN = 0.03
TOP_BAR = 0.125
ROW = 0.135
FOOTER = 0.12  # Confirm/Cancel/Done: about 12 mm tall on the 7" panel, easy to hit
KEY = 0.1  # the on-screen keyboard's keys
FINGER = 0.09  # a line's own buttons (Remove, a condition, Extend) and the staff tools
MIN_TOUCH_PX = 48  # about 9 mm on the 7" panel: a fingertip
MIN_GAP_PX = 12  # between two touch targets, so a finger meant for one never lands on the other
# sizes follow the height on every landscape panel we support (5:3 to 16:9); on a narrower
# screen they follow 0.6 x the width instead
MAX_BASIS_PER_WIDTH = 0.6
