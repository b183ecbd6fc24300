"""Errors raised while reading the wire; each names what a sender must fix."""


class WireError(ValueError):
    """A payload or label that does not follow the v1 contract."""


class MalformedPayload(WireError):
    """Not JSON, not an object, or a field missing or of the wrong type.

    ``authentic`` is True only when the signature was checked and good, so the sender really is
    the kiosk it claims to be and may be told that its event was refused.
    """

    def __init__(self, message: str, *, authentic: bool = False) -> None:
        super().__init__(message)
        self.authentic = authentic


class UnsupportedVersion(WireError):
    """A schema version this side does not speak."""


class BadSignature(WireError):
    """The HMAC does not match: forged, altered, or signed with the wrong key."""


class UnknownKiosk(WireError):
    """No key is known for the kiosk that claims to have sent the message."""


class LabelError(WireError):
    """A QR code that is not a Cagekeeper asset label."""
