"""``quarantine``: messages the hub could not ingest, and why."""

from __future__ import annotations

import click

from hub.cli.context import Ctx, pass_ctx
from hub.printable import printable


@click.command()
@click.option("--show", "entry", type=int, default=None, help="Print this entry in full.")
@click.option("--raw", is_flag=True, help="With --show: only the payload's exact bytes.")
@pass_ctx
def quarantine(ctx: Ctx, entry: int | None, raw: bool) -> None:
    """List messages that could not be ingested, with why (payloads cut to 120 bytes).

    A message that came again with the same bytes on the same topic is one entry: "repeats"
    counts the copies after the first, "last seen" is the latest. Times are UTC. A payload
    longer than the cap keeps only its first bytes ("bytes" is the whole length; --show gives
    its SHA-256). Messages not kept because their kiosk's share of the quarantine was full are
    counted per kiosk after the list ("-": unknown kiosks and other topics).
    """
    if raw and entry is None:
        raise click.UsageError("--raw goes with --show ID")
    with ctx.opened() as store:
        if entry is not None:
            q = store.quarantined_entry(entry)
            if raw:
                click.echo(q.payload, nl=False)  # bytes: written as they are (what was kept)
                return
            kept = (
                f"{q.size} bytes"
                if q.complete
                else f"{q.size} bytes, the first {len(q.payload)} kept"
            )
            click.echo(
                f"entry:     {q.id}\n"
                f"topic:     {_shown(q.topic)}\n"
                f"kiosk:     {q.kiosk or '-'}\n"
                f"received:  {q.received_at:%Y-%m-%d %H:%M:%S}\n"
                f"last seen: {q.last_at:%Y-%m-%d %H:%M:%S}\n"
                f"repeats:   {q.repeats}\n"
                f"error:     {_shown(q.error)}\n"
                f"payload:   {kept}, sha256 {q.sha256}\n"
                f"{_payload_text(q.payload)}"
            )
            return
        click.echo("id\treceived\tlast seen\trepeats\tkiosk\ttopic\terror\tpayload\tbytes")
        for q in store.quarantined():
            error = " ".join(q.error.split())
            click.echo(
                f"{q.id}\t{q.received_at:%Y-%m-%d %H:%M:%S}\t{q.last_at:%Y-%m-%d %H:%M:%S}\t"
                f"{q.repeats}\t{q.kiosk or '-'}\t{_shown(q.topic)}\t{_shown(error)}\t"
                f"{q.payload[:120]!r}\t{q.size}"
            )
        overflow = store.quarantine_overflow()
        if overflow:
            click.echo("\nnot kept (the kiosk's share of the quarantine was full):")
            click.echo("kiosk\tnot kept\tfirst\tlast\tlatest error")
        for o in overflow:
            click.echo(
                f"{o.bucket}\t{o.dropped}\t{o.first_at:%Y-%m-%d %H:%M:%S}\t"
                f"{o.last_at:%Y-%m-%d %H:%M:%S}\t{_shown(' '.join(o.error.split()))}"
            )


def _shown(text: str) -> str:
    """Text safe on a terminal: control characters (an escape sequence) escaped."""
    return printable(text, keep="\n\t")


def _payload_text(payload: bytes) -> str:
    """The payload as text if it is UTF-8 (control characters escaped), else as a bytes repr."""
    try:
        return _shown(payload.decode())
    except UnicodeDecodeError:
        return repr(payload)
