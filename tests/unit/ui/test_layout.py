"""The renderer on real pygame frames (SDL's dummy video driver): each text's rectangle must lie
on the surface, texts must not overlap each other, buttons must not overlap, targets take a
finger and texts read at arm's length."""

from __future__ import annotations

from datetime import UTC, datetime

import pygame
import pytest

from kiosk.screens import CartLine, CartScreen, DeniedScreen, IdleScreen, LineAction
from kiosk.ui import theme
from kiosk.ui.render import IDLE_HEADLINE, Face
from kiosk.ui.text import ELLIPSIS, fit, format_due, wrap
from tests.ui_frames import assert_fingers_and_eyes, assert_laid_out, colours_in, render
from tests.ui_screens import BUTTONS, DUE, FULL_SIZE, SCREENS, SIZES


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_each_screen_draws_its_texts_inside_the_surface(name: str, size: tuple[int, int]) -> None:
    screen, expected = SCREENS[name]
    surface, report = render(screen, size)

    drawn = report.strings()
    missing = [text for text in expected if text not in drawn]
    assert not missing, f"{missing} not among {drawn}"
    assert_laid_out(surface, report)
    assert {(b.action, b.code) for b in report.buttons} == BUTTONS[name]
    assert len(colours_in(surface, surface.get_rect(), step=7)) > 3, "the frame is blank"
    headline = next(rect for text, rect in report.texts if text == expected[1])
    assert len(colours_in(surface, headline, step=1)) > 2, "the headline has no ink"


@pytest.mark.parametrize(
    "size", [(1024, 600), (1920, 1080), (640, 480), (480, 800)], ids=lambda s: f"{s[0]}x{s[1]}"
)
@pytest.mark.parametrize("name", list(SCREENS))
def test_other_panels_and_a_rotated_one_keep_the_layout(name: str, size: tuple[int, int]) -> None:
    screen, expected = SCREENS[name]
    surface, report = render(screen, size)
    assert_laid_out(surface, report)
    assert expected[1] in report.strings()  # the headline fits across, uncut


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_font_sizes_follow_the_screen_height(size: tuple[int, int]) -> None:
    _, small = render(SCREENS["idle"][0], (800, 480))
    _, large = render(SCREENS["idle"][0], size)
    [small_rect] = [r for t, r in small.texts if t == IDLE_HEADLINE]
    [large_rect] = [r for t, r in large.texts if t == IDLE_HEADLINE]
    assert large_rect.height == pytest.approx(small_rect.height * size[1] / 480, rel=0.1)
    assert small_rect.height >= 480 // 10  # big enough to read across the cage


def test_clock_comes_from_the_screen_model_not_the_system() -> None:
    _, report = render(IdleScreen("Cage", datetime(2031, 1, 6, 23, 59, tzinfo=UTC)), (800, 480))
    assert {"23:59", "Mon 6 Jan"} <= set(report.strings())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_names_are_cut_with_an_ellipsis_and_stay_inside(size: tuple[int, int]) -> None:
    long_name = "Extremely long equipment name " * 10
    person = "Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh the Third"
    screen = CartScreen(
        person,
        (
            CartLine("CAM-0001", long_name, LineAction.CHECKOUT, due=DUE),
            CartLine("MIC-0007", long_name, LineAction.REFUSED, reason=long_name),
        ),
        message=long_name,
    )
    surface, report = render(screen, size)

    assert_laid_out(surface, report)
    cut = [text for text in report.strings() if text.endswith(ELLIPSIS)]
    assert len(cut) >= 4  # the person, both names, the reason (and the message's last line)
    assert all(text.rstrip(ELLIPSIS) in long_name + person for text in cut)


def test_a_long_denial_wraps_and_stays_inside() -> None:
    reason = "Your badge has expired; please ask staff at the front desk to renew it. " * 3
    surface, report = render(
        DeniedScreen("Badge expired or not recognised here", reason), (800, 480)
    )
    assert_laid_out(surface, report)
    assert len(report.texts) >= 3  # the title and more than one line of reason


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_many_lines_show_the_newest_that_fit_and_count_the_rest(size: tuple[int, int]) -> None:
    lines = tuple(
        CartLine(f"CAM-{i:04}", f"Camera {i}", LineAction.CHECKOUT, due=DUE) for i in range(15)
    )
    surface, report = render(CartScreen("Ada Lovelace", lines), size)

    assert_laid_out(surface, report)
    removes = [b.code for b in report.buttons if b.action == "remove"]
    assert 2 <= len(removes) < len(lines)
    assert removes == [line.code for line in lines[-len(removes) :]]
    assert f"+{len(lines) - len(removes)} more" in report.strings()
    assert report.button("confirm") is not None


def test_an_empty_cart_asks_for_a_label() -> None:
    surface, report = render(CartScreen("Ada Lovelace"), (800, 480))
    assert_laid_out(surface, report)
    assert "Show each item's label to the camera" in report.strings()
    assert not [b for b in report.buttons if b.action == "remove"]
    assert report.button("confirm") is None  # nothing to confirm yet
    assert report.button("cancel") is not None


def test_due_times_read_like_a_diary() -> None:
    assert format_due(DUE, "UTC") == "Due Wed 25 Nov 17:00"


def test_fit_and_wrap_respect_the_width() -> None:
    font = pygame.font.Font(None, 30)
    assert fit("short", font, 500) == "short"
    cut = fit("a rather long sentence that will not fit", font, 120)
    assert cut.endswith(ELLIPSIS) and font.size(cut)[0] <= 120
    lines = wrap("one two three four five six seven eight nine ten", font, 120, 2)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(font.size(line)[0] <= 120 for line in lines)


def test_control_characters_in_data_do_not_break_drawing() -> None:
    line = CartLine("CAM-1", "Lens\x00\n  kit", LineAction.CHECKOUT)  # SDL_ttf rejects NUL
    _, report = render(CartScreen("Ada\tLovelace", (line,)), (800, 480))
    assert {"Lens kit", "Ada Lovelace"} <= set(report.strings())


def test_hit_finds_the_button_under_a_point() -> None:
    _, report = render(SCREENS["cart"][0], (800, 480))
    confirm = report.button("confirm")
    assert confirm is not None
    assert report.hit(confirm.rect.center) is confirm
    assert report.hit((0, 0)) is None


@pytest.mark.parametrize("size", FULL_SIZE, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_every_target_takes_a_finger_and_every_text_reads(name: str, size: tuple[int, int]) -> None:
    _, report = render(SCREENS[name][0], size)
    assert report.buttons or not BUTTONS[name]
    assert_fingers_and_eyes(report)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_letters_are_evenly_spaced(size: tuple[int, int]) -> None:
    """SDL_ttf drew "staff" as "sta ff" at some sizes; FreeType keeps the gaps between the
    letters within a pixel or two of each other (their own side bearings differ that much)."""
    basis = size[1]
    for role in (theme.HUGE, theme.TITLE, theme.BODY, theme.SMALL):
        face = Face(round(basis * role))
        surface = pygame.Surface((face.size("staff")[0] + 4, face.linesize))
        face.draw(surface, "staff", theme.TEXT, surface.get_rect())
        inked = [
            any(surface.get_at((x, y))[0] > 60 for y in range(surface.get_height()))
            for x in range(surface.get_width())
        ]
        first, last = inked.index(True), len(inked) - inked[::-1].index(True)
        runs = [len(run) for run in "".join(".#"[i] for i in inked[first:last]).split("#") if run]
        slack = max(2, round(basis * role) // 25)
        assert max(runs) <= min(runs) + slack, f"gaps {runs} at {face.size('staff')}"
