"""Door PIN hashes (wire.pins): salted scrypt in the PHC string form any scrypt library reads."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest

from wire.pins import (
    LOG2_N,
    PinFormatError,
    check_pin,
    hash_pin,
    parse_hash,
    usable,
    verify_pin,
)


def test_the_right_pin_verifies_and_others_do_not() -> None:
    stored = hash_pin("2468")
    assert verify_pin(stored, "2468")
    for other in (
        "2469",
        "24680",
        "246",
        "",
        "02468",
        " 2468",
        "\uff12\uff14\uff16\uff18",
        "2468\n",
    ):
        assert not verify_pin(stored, other), other


def test_each_hash_is_salted() -> None:
    one, two = hash_pin("2468", log2_n=4), hash_pin("2468", log2_n=4)
    assert one != two and verify_pin(one, "2468") and verify_pin(two, "2468")


def test_the_string_is_plain_scrypt_any_library_can_check() -> None:
    stored = hash_pin("13579", log2_n=10, r=8, p=1)
    _, name, params, salt, key = stored.split("$")
    assert (name, params) == ("scrypt", "ln=10,r=8,p=1")

    def unb64(text: str) -> bytes:
        return base64.b64decode(text + "=" * (-len(text) % 4))

    again = hashlib.scrypt(b"13579", salt=unb64(salt), n=1 << 10, r=8, p=1, dklen=len(unb64(key)))
    assert again == unb64(key)


def test_the_shipped_cost_is_the_documented_one() -> None:
    parsed = parse_hash(hash_pin("2468"))
    assert (parsed.log2_n, parsed.r, parsed.p) == (LOG2_N, 8, 1) == (14, 8, 1)


def test_a_pin_is_four_to_eight_digits() -> None:
    for good in ("0000", "12345678"):
        assert check_pin(good) == good
    for bad in ("123", "123456789", "12a4", "", "\u0661\u0662\u0663\u0664", "1234\n", "1234 "):
        with pytest.raises(PinFormatError, match="4 to 8 digits"):
            check_pin(bad)
        with pytest.raises(PinFormatError):
            hash_pin(bad)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2468",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5",
        "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5",  # 16 GiB
        "$scrypt$ln=14,r=8,p=1$short$a2V5a2V5a2V5a2V5a2V5a2V5",
        "$scrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 300,
    ],
)
def test_what_is_not_a_checkable_hash_is_refused_clearly(text: str) -> None:
    assert not usable(text)
    with pytest.raises(PinFormatError):
        parse_hash(text)
    with pytest.raises(PinFormatError):
        verify_pin(text, "2468")


def test_a_check_at_the_shipped_cost_is_quick_enough_here() -> None:
    """A bound, not the figure (README "Staff PINs" has that): a kiosk checks once per Unlock."""
    stored = hash_pin("2468")
    start = time.perf_counter()
    assert verify_pin(stored, "2468")
    assert time.perf_counter() - start < 2.0
