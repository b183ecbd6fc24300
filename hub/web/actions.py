"""What every form a dashboard or portal page posts does around its own work.

A form's route declares ``who: ManagerForm`` (or ``AdminForm``, ``ViewerForm``, ``BorrowerForm``
for a person's own account, ``SignedInForm`` for anyone signed in): the role is checked first,
then the form's CSRF token (its ``csrf`` field), both before the route runs or reads a field.
(The JSON API's writes are no forms: they check the ``X-CSRF-Token`` header in the route, once
FastAPI has validated the call, so a malformed call is a 422 whatever its token; an import's
token comes inside its upload, checked once the upload is read.)

A form then hands its work to ``act``, which answers the three ways a form ends: done (a
redirect, so a reload does not post again, with a message for the next page), no such record
(404), or refused (the form again, saying why). A form whose refusals ``act`` cannot say (each
with its own status) ends with ``done`` too.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from hub.errors import AlreadyExists, NotFound
from hub.web.auth import Role
from hub.web.context import flash
from hub.web.security import Need, OwnAccount, Principal, check_csrf

Refusals = tuple[type[Exception], ...]


def _form_sender(need: Need) -> Callable[..., Principal]:
    # this module's annotations are evaluated as they are defined (no postponed evaluation):
    # FastAPI reads this signature, and its ``need`` is only in the closure
    def sender(
        request: Request,
        who: Annotated[Principal, Depends(need)],
        csrf: Annotated[str, Form()] = "",
    ) -> Principal:
        check_csrf(request, csrf, who)
        return who

    return sender


SignedInForm = Annotated[Principal, Depends(_form_sender(Need(Role.BORROWER)))]
BorrowerForm = Annotated[Principal, Depends(_form_sender(OwnAccount()))]
ViewerForm = Annotated[Principal, Depends(_form_sender(Need(Role.VIEWER)))]
ManagerForm = Annotated[Principal, Depends(_form_sender(Need(Role.MANAGER)))]
AdminForm = Annotated[Principal, Depends(_form_sender(Need(Role.ADMIN)))]


def done(request: Request, then: str, message: str | None = None) -> Response:
    """A form done: go to ``then`` (a redirect, so a reload does not post again), with
    ``message`` shown there."""
    if message:
        flash(request, message)
    return RedirectResponse(then, status_code=303)


def act(
    request: Request,
    work: Callable[[], str | None],
    *,
    then: str,
    missing: str | None = None,
    refused: Callable[[Exception], Response] | None = None,
    refusals: Refusals = (ValueError, AlreadyExists),
) -> Response:
    """Do ``work``; then go to ``then`` with the message it returns (if any) shown there.

    ``NotFound`` is a 404 "no such ``missing``" when ``missing`` is given; an error of
    ``refusals`` is answered by ``refused``: the page again with the error on it (a page
    that names a record it cannot find lists ``NotFound`` among its refusals instead).
    """
    try:
        message = work()
    except Exception as exc:
        if refused is not None and isinstance(exc, refusals):
            return refused(exc)
        if missing is not None and isinstance(exc, NotFound):
            return Response(f"no such {missing}", status_code=404)
        raise
    return done(request, then, message)


def shown_on(request: Request, page: str) -> Callable[[Exception], Response]:
    """For ``act``'s ``refused``: go to ``page`` with the refusal's reason shown there (for a
    form on a page that shows a flashed message, not the form's own)."""

    def answer(exc: Exception) -> Response:
        return done(request, page, str(exc))

    return answer
