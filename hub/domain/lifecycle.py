"""An asset's life: in service, maintenance, retired, disposed; which moves are allowed."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    AVAILABLE = "available"
    OUT = "out"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"
    DISPOSED = "disposed"


class Action(StrEnum):
    MAINTENANCE = "maintenance"  # take out of circulation for service or repair
    RETURN_TO_SERVICE = "in_service"
    RETIRE = "retire"
    DISPOSE = "dispose"


class LifecycleError(ValueError):
    """The move is not allowed from the asset's current status; the message says why."""


_MOVES: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.MAINTENANCE: (frozenset({Status.AVAILABLE}), Status.MAINTENANCE),
    Action.RETURN_TO_SERVICE: (frozenset({Status.MAINTENANCE, Status.RETIRED}), Status.AVAILABLE),
    Action.RETIRE: (frozenset({Status.AVAILABLE, Status.MAINTENANCE}), Status.RETIRED),
    Action.DISPOSE: (frozenset({Status.RETIRED}), Status.DISPOSED),
}

LENDABLE = frozenset({Status.AVAILABLE, Status.OUT})


def move(current: str, action: Action) -> Status:
    allowed, to = _MOVES[action]
    status = Status(current)
    if status in allowed:
        return to
    if status is Status.OUT:
        raise LifecycleError("the item is out on loan: it must be returned first")
    if action is Action.DISPOSE:
        raise LifecycleError("only a retired item can be disposed of")
    raise LifecycleError(f"an item that is {status.value} cannot be moved to {to.value}")
