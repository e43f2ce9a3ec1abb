"""A real pseudo-terminal (80x24) running `python -m dmsurvey`, for end-to-end tests."""

from __future__ import annotations

import io
import os
import re
import sys

import pexpect

ENTER, DOWN, UP, SPACE, CTRL_B, CTRL_C, BACKSPACE = (
    "\r",
    "\x1b[B",
    "\x1b[A",
    " ",
    "\x02",
    "\x03",
    "\x7f",
)
# prompt_toolkit asks where the cursor is (CPR); a real terminal answers at once.
CURSOR_POSITION_REQUEST = "\x1b[6n"


class Terminal:
    """`python -m dmsurvey ARGS...` in a pseudo-terminal, answering cursor-position requests
    the way a real terminal does. `python` replaces `-m dmsurvey` (say, with `-c CODE`)."""

    def __init__(
        self, *args: str, timeout: float = 10, python: tuple[str, ...] = ("-m", "dmsurvey")
    ):
        env = dict(os.environ, TERM="xterm", COLUMNS="80", LINES="24")
        self.child = pexpect.spawn(
            sys.executable,
            [*python, *args],
            dimensions=(24, 80),
            env=env,
            encoding="utf-8",
            timeout=timeout,
        )
        # Keys go out as soon as the screen asks for them (pexpect waits 50 ms by default).
        self.child.delaybeforesend = None
        self.printed = io.StringIO()
        self.child.logfile_read = self.printed

    def rows(self) -> list[str]:
        """The text on each row of the screen drawn since it was last cleared."""
        return screen_rows(self.printed.getvalue())

    def expect(self, text: str, *, regex: bool = False) -> str:
        """Wait until `text` (a regex if `regex`) is on screen; returns what matched."""
        pattern = re.compile(text if regex else re.escape(text))
        cpr = re.compile(re.escape(CURSOR_POSITION_REQUEST))
        while self.child.expect([pattern, cpr]) == 1:
            self.child.send("\x1b[1;1R")
        return self.child.match.group(0)

    def at(self, progress: str) -> None:
        """Wait for the question whose heading shows `progress`: "D · 23/", or "D · 23/41"."""
        self.expect(re.escape(progress) + r"\d* — ", regex=True)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> tuple[int, str]:
        """Wait for the end; the exit status and what was printed last."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus, self.child.before

    def kill(self) -> None:
        self.child.kill(9)
        self.child.close(force=True)


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\n|\r|[^\x1b\n\r]+")


def screen_rows(printed: str) -> list[str]:
    """Which row each piece of text landed on, following the cursor's moves up and down.

    Enough of a terminal to say where a message appears (columns are not tracked, so text
    overwritten in place shows twice on its row).
    """
    cleared = printed.rfind("\x1b[2J")
    rows: dict[int, str] = {}
    row = 0
    for token in _CONTROL.findall(printed[max(cleared, 0) :]):
        if token == "\n":
            row += 1
        elif token.startswith("\x1b["):
            command, arguments = token[-1], token[2:-1]
            count = int(arguments) if arguments.isdigit() else 1
            if command == "A":
                row = max(row - count, 0)
            elif command == "B":
                row += count
            elif command in "Hf":
                row = max(int(arguments.split(";")[0] or 1), 1) - 1
        elif not token.startswith("\x1b") and token != "\r":
            rows[row] = rows.get(row, "") + token
    return [rows.get(number, "") for number in range(max(rows, default=-1) + 1)]


def row_with(rows: list[str], text: str) -> int:
    """The last row showing `text`."""
    found = [number for number, line in enumerate(rows) if text in line]
    assert found, f"{text!r} is not on screen: {rows}"
    return found[-1]
