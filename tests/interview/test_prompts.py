"""The questionary prompts, driven by keys through prompt_toolkit's pipe input."""

from __future__ import annotations

import io
import threading
import time

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output
from prompt_toolkit.utils import get_cwidth

from dmsurvey.interview.prompts import BACK, Prompter
from dmsurvey.wording import wrap

from .terminal import BACKSPACE, CTRL_B, CTRL_C, DOWN, ENTER, SPACE, UP

CHOICES = [("a", "Apple"), ("b", "Banana"), ("c", "Cherry")]


@pytest.fixture
def keys():
    with create_pipe_input() as pipe:
        yield pipe


def screen_output() -> tuple[Vt100_Output, io.StringIO]:
    buffer = io.StringIO()
    output = Vt100_Output(buffer, lambda: Size(rows=24, columns=80), term="xterm")
    return output, buffer


def send_when_shown(keys, screen: io.StringIO, shown: str, text: str) -> None:
    """Send `text` once `shown` is on `screen` (keys sent at once are handled unseen)."""

    def wait_then_send():
        deadline = time.monotonic() + 10
        while shown not in screen.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        keys.send_text(text)

    threading.Thread(target=wait_then_send, daemon=True).start()


def prompter(keys, *, compact=False, output=None) -> Prompter:
    return Prompter(language="en", compact=compact, input=keys, output=output or DummyOutput())


def test_select_moves_and_chooses(keys):
    keys.send_text(DOWN + DOWN + UP + ENTER)
    assert prompter(keys).select("Fruit?", CHOICES) == "b"


def test_select_starts_on_the_previous_answer(keys):
    keys.send_text(ENTER)
    assert prompter(keys).select("Fruit?", CHOICES, default="c") == "c"


def test_back_by_key_and_by_choice(keys):
    ask = prompter(keys)
    keys.send_text(CTRL_B)
    assert ask.select("Fruit?", CHOICES) is BACK
    keys.send_text(UP + ENTER)  # the back choice is the last entry
    assert ask.select("Fruit?", CHOICES, default="a") is BACK
    keys.send_text("12" + CTRL_B)
    assert ask.text("How many?") is BACK
    keys.send_text(CTRL_B)
    assert ask.checkbox("Which?", CHOICES) is BACK
    keys.send_text(UP + SPACE)
    assert ask.checkbox("Which?", CHOICES) is BACK


def test_without_back_there_is_no_back(keys):
    keys.send_text(CTRL_B + UP + ENTER)
    assert prompter(keys).select("Fruit?", CHOICES, back=False) == "c"


def test_ctrl_c_is_never_an_empty_answer(keys):
    ask = prompter(keys)
    for prompt in (
        lambda: ask.select("Fruit?", CHOICES),
        lambda: ask.checkbox("Which?", CHOICES),
        lambda: ask.text("How many?"),
    ):
        keys.send_text(CTRL_C)
        with pytest.raises(KeyboardInterrupt):
            prompt()


def test_checkbox_ticks_and_keeps_previous_ticks(keys):
    keys.send_text(SPACE + DOWN + DOWN + SPACE + ENTER)
    assert prompter(keys).checkbox("Which?", CHOICES) == ["a", "c"]
    keys.send_text(DOWN + SPACE + ENTER)
    assert prompter(keys).checkbox("Which?", CHOICES, checked=["a", "b"]) == ["a"]


def test_checkbox_refuses_until_valid(keys):
    # The message itself shows in a toolbar drawn only on a real terminal: see the e2e tests.
    def validate(ticked):
        return True if len(ticked) == 1 else "Tick exactly one"

    keys.send_text(SPACE + DOWN + SPACE + ENTER + SPACE + ENTER)
    assert prompter(keys).checkbox("Which?", CHOICES, validate=validate) == ["a"]


def test_text_is_checked_as_typed_and_corrected(keys):
    output, screen = screen_output()

    def validate(typed):
        return True if typed.isdigit() else "Digits only"

    keys.send_text("12x" + ENTER)
    send_when_shown(keys, screen, "Digits only", BACKSPACE + ENTER)
    assert prompter(keys, output=output).text("How many?", validate=validate) == "12"
    assert "Digits only" in screen.getvalue()


def test_text_offers_the_previous_answer(keys):
    keys.send_text(BACKSPACE + "5" + ENTER)
    assert prompter(keys).text("How many?", default="1,234") == "1,235"


def test_clerks_choose_by_number(keys):
    ask = prompter(keys, compact=True)
    keys.send_text("3" + ENTER)
    assert ask.select("Fruit?", CHOICES) == "c"
    keys.send_text("1" + "3" + ENTER)
    assert ask.checkbox("Which?", CHOICES) == ["a", "c"]
    keys.send_text("2" + "2" + ENTER)
    assert ask.checkbox("Which?", CHOICES) == []


def test_keys_typed_ahead_reach_the_next_prompt(keys):
    ask = prompter(keys)
    keys.send_text(DOWN + ENTER + "7" + ENTER + SPACE + ENTER)
    assert ask.select("Fruit?", CHOICES) == "b"
    assert ask.text("How many?") == "7"
    assert ask.checkbox("Which?", CHOICES) == ["a"]


def test_shown_lines_reach_the_screen(keys):
    output, screen = screen_output()
    ask = prompter(keys, output=output)
    ask.new_screen()
    ask.show([("section", "D · 14/41 — Online sales"), ("hint", "Hint: in 2019")])
    assert "D · 14/41 — Online sales" in screen.getvalue()
    assert "Hint: in 2019" in screen.getvalue()


def style_before(screen: str, text: str) -> str:
    """The colour codes (SGR) in force where `text` was last drawn."""
    before = screen[: screen.rindex(text)]
    return before[before.rindex("\x1b[") :].split("m", 1)[0] + "m"


@pytest.mark.parametrize("compact", [False, True])
def test_the_back_entry_is_dimmed_in_every_list(keys, compact):
    back = "« Back to the previous question"
    styles = {}
    for kind in ("select", "checkbox"):
        output, screen = screen_output()
        ask = prompter(keys, compact=compact, output=output)
        send_when_shown(keys, screen, back, CTRL_B)
        assert getattr(ask, kind)("Fruit?", CHOICES) is BACK
        drawn = screen.getvalue()
        styles[kind] = (style_before(drawn, back), style_before(drawn, "Cherry"))
    # Drawn like the key help (dim), unlike the answers, the same in both kinds of list.
    assert styles["select"][0] == styles["checkbox"][0] == "\x1b[0;90m"
    assert styles["select"][1] != styles["select"][0]


@pytest.mark.parametrize(("typed", "ticked"), [("a", ["a", "b", "c"]), ("aa", []),
                                               (SPACE + "i", ["b", "c"]), ("ai", [])])
def test_tick_all_and_invert_never_tick_the_back_entry(keys, typed, ticked):
    def validate(chosen):
        return True if all(isinstance(value, str) for value in chosen) else "not an answer"

    keys.send_text(typed + ENTER)
    assert prompter(keys).checkbox("Which?", CHOICES, validate=validate) == ticked


def test_a_clerks_number_is_always_an_answer_never_the_back_choice(keys):
    """With three choices the back entry used to be "4) « Back": typing 4 went back."""
    output, screen = screen_output()
    ask = prompter(keys, compact=True, output=output)
    keys.send_text("4" + ENTER)
    send_when_shown(keys, screen, "No such choice", "2" + ENTER)
    assert ask.select("Fruit?", CHOICES) == "b"
    drawn = screen.getvalue()
    assert "3) Cherry" in drawn and "4)" not in drawn
    assert "No such choice: press a number from 1 to 3" in drawn


def test_a_stray_key_then_enter_does_not_take_the_highlighted_choice(keys):
    ask = prompter(keys, compact=True)
    keys.send_text("x" + ENTER + DOWN + ENTER)
    assert ask.select("Fruit?", CHOICES) == "b"  # not "a", highlighted when x was pressed


def test_submitting_is_confirmed_and_enter_alone_says_no(keys):
    ask = prompter(keys)
    keys.send_text(ENTER)
    assert ask.confirm("Submit?") is False
    keys.send_text("y")
    assert ask.confirm("Submit?") is True


@pytest.mark.parametrize("width", [40, 79])
def test_english_wraps_between_words_and_chinese_between_characters(width):
    english = ("What share of your total financing came over the internet in 2019, "
               "as a percentage of revenue?")
    lines = wrap(english, width).split("\n")
    assert all(get_cwidth(line) <= width for line in lines)
    assert " ".join(lines) == english  # no word cut: "inter / net" or "revenu / e"
    chinese = "2019年贵企业通过互联网获得的融资占融资总额的比例是多少？" * 3
    lines = wrap(chinese, width).split("\n")
    assert "".join(lines) == chinese
    assert all(get_cwidth(line) <= width for line in lines)
    assert get_cwidth(lines[0]) >= width - 1  # filled to the edge, character by character
