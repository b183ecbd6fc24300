"""The door return station: a scan is a return, no badge needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.session.effects import Effect, Feedback, Record, Signal
from kiosk.session.inputs import LabelScanned
from kiosk.session.model import Settings, State, idle
from wire import EventType


def station_scan(
    state: State, event: LabelScanned, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    if event.code is None:
        return replace(
            idle(state),
            message="That code is not an equipment label",
            expires=now + settings.linger,
        ), [Feedback(Signal.ERROR)]
    item = event.item
    if item is None and state.ready:
        text = "Unknown item: please hand it to staff"
        return replace(idle(state), message=text, expires=now + settings.linger), [
            Feedback(Signal.ERROR)
        ]
    # Taken back even when this station's replica does not know it is out (it may be behind,
    # or not there yet while starting up); the hub's projection ignores a return of an item
    # nobody holds.
    # one session per scan, so a kit's pieces coming back late count as one late return
    session = f"return-{int(now.timestamp() * 1000)}"
    # a kit comes back with its pieces; where the replica knows who has the kit, only with
    # those still out (one returned on its own already is not returned again)
    known = item is not None and item.holder is not None
    pieces = (
        (item, *(p for p in item.members if p.holder is not None or not known))
        if item is not None
        else ()
    )
    records: list[Effect] = (
        [
            Record(EventType.RETURN, session=session, person=piece.holder, asset=piece.code)
            for piece in pieces
        ]
        if item is not None
        else [Record(EventType.RETURN, session=session, asset=event.code)]
    )
    name = item.name if item is not None else event.code
    done = replace(
        idle(state), message=f"Returned: {name}", returned=name, expires=now + settings.linger
    )
    return done, [*records, Feedback(Signal.OK)]
