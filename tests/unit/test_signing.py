"""Signatures check by the protocol's canonical form, whichever renderer answers first.

The hub checks every event's signature against orjson's rendering first (the fast one) and
falls back to the standard library's, which defines the form: values the two render
differently (a small float's exponent, an integer beyond 64 bits) must still verify when
signed as the protocol says, and nothing unsigned may pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wire.signing import canonical, sign, verify

KEY = b"k" * 32

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _signed(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "sig": sign(KEY, body)}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), _json, max_size=6))
def test_a_message_signed_by_the_definition_verifies_and_an_altered_one_does_not(
    body: dict[str, Any],
) -> None:
    body.pop("sig", None)
    message = _signed(body)
    assert verify(KEY, message)
    assert not verify(b"x" * 32, message)
    assert not verify(KEY, {**message, "extra": "added after signing"})


def test_values_orjson_renders_otherwise_verify_by_the_definition() -> None:
    # json says 1e-05, orjson 0.00001: the signer follows the protocol (the standard form)
    for odd in (1e-05, -7.1850441006303285e-09, 2**64, -(2**70)):
        message = _signed({"v": 1, "kiosk": "cage-1", "value": odd})
        assert verify(KEY, message), odd


def test_the_canonical_form_is_sorted_compact_and_unescaped() -> None:
    message = {"b": 1, "a": {"d": "é", "c": [1, 2]}, "sig": "ignored"}
    assert canonical(message) == '{"a":{"c":[1,2],"d":"é"},"b":1}'.encode()
    mac = hmac.new(KEY, canonical(message), hashlib.sha256).hexdigest()
    assert verify(KEY, {**message, "sig": mac.upper()})  # hex in either case


def test_a_missing_or_non_text_signature_never_verifies() -> None:
    body = {"v": 1, "kiosk": "cage-1"}
    assert not verify(KEY, body)
    assert not verify(KEY, {**body, "sig": 1234})
    assert not verify(KEY, json.loads(json.dumps({**body, "sig": None})))
