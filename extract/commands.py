"""CLI commands of the extraction stage; ``tiltaksgraf.cli`` adds them with ``register(app)``.

``candidates`` lists what looks like a name in reports but resolves to nothing, as a table or as
lines of a knowledge file to edit and feed back with ``tiltaksgraf build --knowledge``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated, Optional

import typer

from tiltaksgraf.console import err
from tiltaksgraf.errors import UsageError

app = typer.Typer()

FORMATS = ("text", "jsonl")


def register(cli_app: typer.Typer) -> None:
    """Add this stage's commands to ``cli_app`` (``tiltaksgraf.cli`` calls this)."""
    cli_app.registered_commands.extend(app.registered_commands)


@app.command()
def candidates(
    reports: Annotated[list[Path], typer.Argument(help="Report text files (any text: a page no layout fits is "
                                                       "read line by line).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text (a table) or jsonl (a knowledge file).")] = "text",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="File to write; default: stdout.")] = None,
    knowledge: Annotated[Optional[list[Path]], typer.Option(
        "--knowledge", "-k", help="Your own knowledge file (repeatable); knowledge/ beside the reports is read too.")
    ] = None,
    top: Annotated[Optional[int], typer.Option("--top", "-n", min=1, help="Only the N most frequent.")] = None,
) -> None:
    """List what looks like a name but resolves to nothing (most frequent first), with a guessed
    type, the count, the measures and one sentence; --format jsonl writes a knowledge file."""
    from tiltaksgraf.extract.candidates import candidates_in_files, knowledge_lines, measures_phrase
    from tiltaksgraf.extract.gazetteer import user_knowledge

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    merged, _ = user_knowledge(reports, knowledge or [])
    found, whole_text = candidates_in_files(reports, merged)
    for path in whole_text:
        err.print(f"{path}: no layout fits; read as whole text, one segment per line (measures not known)",
                  highlight=False)
    found = found[:top] if top else found
    if fmt == "jsonl":
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in knowledge_lines(found))
    else:
        text = "".join(f"{c.count:>4}  {c.type:<9}  {c.name}"
                       + (f" ({', '.join(c.aliases)})" if c.aliases else "")
                       + (f"  [{measures_phrase(c.measures)}]" if c.measures else "")
                       + f"\n      {textwrap.shorten(c.sentence, 110, placeholder=' …')}\n" for c in found)
    if out is None:
        typer.echo(text, nl=False)
        err.print(f"{len(found)} candidates", highlight=False)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"wrote {out}: {len(found)} candidates", highlight=False)
