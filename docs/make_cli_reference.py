"""Write docs/cli.md from the commands' own help texts.

    python docs/make_cli_reference.py          # rewrite docs/cli.md
    python docs/make_cli_reference.py --check  # exit 1 if docs/cli.md is out of date

The test suite runs the check, so the reference never drifts from `--help`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer.main

from dmsurvey.cli import app

REFERENCE = Path(__file__).with_name("cli.md")
RICH_MARKUP = re.compile(r"\[/?(bold|italic|dim|cyan|green|red|yellow|magenta|blue|b|i)\]|\*\*")


def plain(text: str | None) -> str:
    return RICH_MARKUP.sub("", text or "").strip()


def iter_commands(command, path: tuple[str, ...] = ("dmsurvey",)):
    yield path, command
    subcommands = getattr(command, "commands", None) or {}
    for name in sorted(subcommands):
        yield from iter_commands(subcommands[name], (*path, name))


def describe_parameter(parameter) -> str:
    if parameter.param_type_name == "argument":
        return f"- `{(parameter.metavar or parameter.name).upper()}` (argument)"
    names = ", ".join(f"`{name}`" for name in (*parameter.opts, *parameter.secondary_opts))
    text = f"- {names}: {plain(getattr(parameter, 'help', ''))}"
    default = parameter.default
    if default not in (None, False, (), "") and not callable(default):
        text += f" (default: `{default}`)"
    return text.rstrip()


def cli_reference() -> str:
    root = typer.main.get_command(app)
    parts = [
        "# Command reference\n",
        "Generated from the commands' `--help` by `docs/make_cli_reference.py`; do not edit.\n",
    ]
    for path, command in iter_commands(root):
        if command.hidden:
            continue
        context = typer.main.get_command(app).context_class(command, info_name=" ".join(path))
        usage = " ".join(path) + " " + " ".join(command.collect_usage_pieces(context))
        parts.append(f"## `{' '.join(path)}`\n")
        parts.append(f"```\n{usage.strip()}\n```\n")
        if command.help:
            parts.append(plain(command.help) + "\n")
        parameters = [p for p in command.params if p.name not in ("help",) and not p.hidden]
        parameters = [p for p in parameters if "--install-completion" not in getattr(p, "opts", ())]
        parameters = [p for p in parameters if "--show-completion" not in getattr(p, "opts", ())]
        if parameters:
            parts.append("\n".join(describe_parameter(p) for p in parameters) + "\n")
    return "\n".join(parts)


def main() -> int:
    text = cli_reference()
    if "--check" in sys.argv:
        if not REFERENCE.exists() or REFERENCE.read_text(encoding="utf-8") != text:
            print("docs/cli.md is out of date: run python docs/make_cli_reference.py")
            return 1
        return 0
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
