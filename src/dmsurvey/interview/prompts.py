"""Terminal prompts for the interview, built on questionary.

Every prompt reads from one `input` and writes to one `output` (prompt_toolkit objects), given
once to `Prompter`: a real terminal by default, a pipe and a dummy output in tests. Keys typed
ahead are kept for the next prompt, so a clerk can type faster than the screen redraws.

Prompts return the answer, or `BACK` when the user asked for the previous question (Ctrl-B, or
the back choice shown under the list). Ctrl-C raises `KeyboardInterrupt` (questionary's
`unsafe_ask`), so a cancel is never mistaken for an empty answer.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import prompt_toolkit.application.application
import questionary
from prompt_toolkit import print_formatted_text
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout import ConditionalContainer, FormattedTextControl, Window
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style
from prompt_toolkit.utils import get_cwidth
from questionary.constants import INDICATOR_SELECTED, INDICATOR_UNSELECTED
from questionary.prompts.common import InquirerControl

from dmsurvey.interview.messages import message
from dmsurvey.wording import SCREEN_WIDTH, wrap


class Navigation(enum.Enum):
    BACK = "back"


BACK = Navigation.BACK

BACK_KEY = "c-b"
STYLE = Style.from_dict(
    {
        "progress": "bold",
        "section": "bold fg:ansicyan",
        "keys": "fg:ansibrightblack",
        "hint": "italic",
        "unit": "",
        "error": "fg:ansired bold",
        "qmark": "fg:ansicyan bold",
        "question": "bold",
        "answer": "fg:ansigreen bold",
        "pointer": "fg:ansicyan bold",
        "highlighted": "fg:ansicyan bold",
        "selected": "fg:ansigreen",
        "instruction": "fg:ansibrightblack",
    }
)

Validate = Callable[[object], "bool | str"]
Choices = Sequence[tuple[object, str]]


class Prompter:
    """Asks questions on one terminal (or one pipe, in tests).

    `compact` is the clerk's mode: choices numbered and chosen by number key, shorter help.
    """

    def __init__(
        self,
        *,
        language: str,
        compact: bool = False,
        input: Input | None = None,
        output: Output | None = None,
    ):
        if input is None:
            from prompt_toolkit.input import create_input

            input = create_input()
        if output is None:
            from prompt_toolkit.output import create_output

            output = create_output()
            # Knowing the rows below the cursor, prompt_toolkit stretches each prompt to the
            # bottom of the screen, which puts a "type a whole number" message on the last
            # line, far from the answer it is about. Every question starts on a fresh screen,
            # so the space below is known anyway: the message goes right under the input.
            output.enable_cpr = False
        self.language = language
        self.compact = compact
        self.input = input
        self.output = output

    @contextmanager
    def keyboard(self) -> Iterator[None]:
        """Hold the terminal in raw mode for a whole session, not just while a prompt runs, so
        keys typed between two prompts (a clerk typing ahead) reach the next one unchanged."""
        with self.input.raw_mode():
            yield

    # -- screen ----------------------------------------------------------------------------

    def new_screen(self) -> None:
        """Start a fresh screen: one question at a time keeps an 80x24 terminal readable."""
        self.output.erase_screen()
        self.output.cursor_goto(0, 0)
        self.output.flush()

    def show(self, lines: Sequence[tuple[str, str]]) -> None:
        """Print `(style, text)` lines, such as the section title and the progress, wrapped
        at word boundaries (Chinese between characters) to the screen width."""
        fragments = []
        for style, text in lines:
            fragments += [(f"class:{style}" if style else "", wrap(text)), ("", "\n")]
        print_formatted_text(FormattedText(fragments), style=STYLE, output=self.output, end="")

    def _kwargs(self) -> dict:
        return {"input": self.input, "output": self.output, "style": STYLE, "qmark": "?"}

    # -- prompts ---------------------------------------------------------------------------

    def select(
        self,
        question: str,
        choices: Choices,
        *,
        default: object = None,
        back: bool = True,
    ) -> object:
        """One choice from a list; returns its value, or BACK.

        A clerk (`compact`) picks by number key; the back entry has no number, so a number
        is always an answer, and a key that is no choice's number holds Enter back until a
        choice is picked, so that a typo cannot accept the highlighted entry."""
        entries = [questionary.Choice(fit(title), value=value) for value, title in choices]
        numbered = self.compact and len(entries) <= len(InquirerControl.SHORTCUT_KEYS)
        if back:
            entries.append(questionary.Choice(message("back_choice", self.language), value=BACK,
                                              shortcut_key=False))
        with _shared_default_bindings():
            prompt = questionary.select(
                wrap(question, SCREEN_WIDTH - 3),
                choices=entries,
                default=next((entry for entry in entries if entry.value == default), None),
                instruction=" ",
                use_shortcuts=numbered,
                use_jk_keys=False,
                **self._kwargs(),
            )
        control = _choice_control(prompt)
        if back:
            _show_as_navigation(control, entries[-1].title)
        extra = _stray_keys_hold_enter(prompt, control, self.language) if numbered else None
        return self._ask(prompt, back=back, extra=extra)

    def confirm(self, question: str, *, default: bool = False) -> bool:
        """Yes or no: y or n answers at once, Enter takes `default`."""
        with _shared_default_bindings():
            prompt = questionary.confirm(wrap(question, SCREEN_WIDTH - 9), default=default,
                                         **self._kwargs())
        return bool(self._ask(prompt, back=False))

    def checkbox(
        self,
        question: str,
        choices: Choices,
        *,
        checked: Sequence[object] = (),
        validate: Validate | None = None,
        back: bool = True,
    ) -> object:
        """Any number of choices; returns the list of values ticked, or BACK."""
        numbered = self.compact and len(choices) <= 10
        entries = [
            questionary.Choice(
                fit(f"{(index + 1) % 10}) {title}" if numbered else title),
                value=value,
                checked=value in checked,
            )
            for index, (value, title) in enumerate(choices)
        ]
        if back:
            entries.append(questionary.Choice(message("back_choice", self.language), value=BACK))
        with _shared_default_bindings():
            prompt = questionary.checkbox(
                wrap(question, SCREEN_WIDTH - 3),
                choices=entries,
                instruction=" ",
                validate=validate or (lambda ticked: True),
                use_jk_keys=False,
                **self._kwargs(),
            )
        control = _choice_control(prompt)
        _error_under_the_list(prompt, control)
        # Once answered, questionary sums the ticks up in English ("done (2 selections)");
        # the next question's screen shows the state anyway.
        prompt.application.erase_when_done = True
        extra = KeyBindings()
        if back:
            _show_as_navigation(control, entries[-1].title)
            on_back = Condition(lambda: control.get_pointed_at().value is BACK)
            # Space or Enter on the back choice goes back, rather than ticking it.
            extra.add("enter", filter=on_back, eager=True)(_go_back)
            extra.add(" ", filter=on_back, eager=True)(_go_back)
        if numbered:
            for index in range(len(choices)):
                extra.add(str((index + 1) % 10), eager=True)(_toggler(control, index))
        # questionary's "a" (tick all) and "i" (invert) would tick the back entry too.
        answers = [value for value, _ in choices]
        extra.add("a", eager=True)(_tick_all(control, answers))
        extra.add("i", eager=True)(_invert(control, answers))
        return self._ask(prompt, back=back, extra=extra)

    def text(
        self,
        question: str,
        *,
        default: str = "",
        validate: Validate | None = None,
        back: bool = True,
        preview: Callable[[str], str] | None = None,
    ) -> object:
        """Typed text, checked by `validate` (True, or the message to show); or BACK.

        `preview` turns what is typed so far into a text shown beside it as it is typed
        (say, the date a typed "31.7.2020" is taken to be)."""
        extra = {}
        if preview is not None:
            # on the right of the input line; the space keeps it off the last column, which
            # terminals wrap at
            extra["rprompt"] = lambda: [
                ("class:hint", preview(prompt.application.current_buffer.text) + " ")
            ]
        with _shared_default_bindings():
            prompt = questionary.text(
                wrap(question, SCREEN_WIDTH - 3),
                default=default,
                validate=validate or (lambda typed: True),
                **self._kwargs(),
                **extra,
            )
        return self._ask(prompt, back=back)

    def _ask(self, prompt, *, back: bool, extra: KeyBindings | None = None) -> object:
        bindings = [prompt.application.key_bindings]
        if extra is not None:
            bindings.append(extra)
        if back:
            back_key = KeyBindings()
            back_key.add(BACK_KEY, eager=True)(_go_back)
            bindings.append(back_key)
        prompt.application.key_bindings = merge_key_bindings(bindings)
        return prompt.unsafe_ask()


@contextmanager
def _shared_default_bindings() -> Iterator[None]:
    """Build prompts with one shared set of prompt_toolkit's default key bindings.

    prompt_toolkit builds its defaults (thousands of bindings) for every Application, and a
    questionary list prompt makes three Applications: that alone took about 20 ms a question,
    half the time between an answer and the next question. The defaults hold no state of
    their own (a PromptSession reuses them for prompt after prompt), so sharing them is safe.
    """
    module = prompt_toolkit.application.application
    original = module.load_key_bindings
    module.load_key_bindings = _default_key_bindings
    try:
        yield
    finally:
        module.load_key_bindings = original


@functools.cache
def _default_key_bindings():
    from prompt_toolkit.key_binding.defaults import load_key_bindings

    return load_key_bindings()


def _error_under_the_list(prompt, control: InquirerControl) -> None:
    """Show a tick list's error ("none" ticked with others) on the line under the list.

    questionary puts it in a bottom toolbar, which prompt_toolkit draws only when it knows
    the rows below the cursor, that is at the foot of the screen or, without cursor position
    reports (see `Prompter`), not at all.
    """

    def error() -> list[tuple[str, str]]:
        return [("class:error", "".join(text for _, text in control.error_message or ()))]

    parts = prompt.application.layout.container.children
    parts[-1] = ConditionalContainer(
        Window(FormattedTextControl(error), dont_extend_height=True),
        filter=Condition(lambda: control.error_message is not None),
    )


def _choice_control(prompt) -> InquirerControl:
    return next(
        control
        for control in prompt.application.layout.find_all_controls()
        if isinstance(control, InquirerControl)
    )


_TICK_BOXES = {f"{INDICATOR_UNSELECTED} ", f"{INDICATOR_SELECTED} "}


def _show_as_navigation(control: InquirerControl, title: str) -> None:
    """Draw the back entry of a list dimmed (and, in a tick list, without a tick box), so it
    does not look like one more answer; it stays reachable with the arrows (and Ctrl-B works
    anywhere). Under the pointer it is highlighted like any entry."""
    draw_choices = control.text

    def draw() -> list[tuple[str, str]]:
        tokens = list(draw_choices())
        for index in range(1, len(tokens)):
            style, text = tokens[index]
            # A clerk's numbered list puts the number key before the title.
            if not text.endswith(title):
                continue
            if tokens[index - 1][1] in _TICK_BOXES:
                tokens[index - 1] = ("", "")
            if style == "class:text":
                tokens[index] = ("class:instruction", text)
        return tokens

    control.text = draw


def _stray_keys_hold_enter(prompt, control: InquirerControl, language: str) -> KeyBindings:
    """After a key that picks nothing (a typo such as 7 in a list of five), Enter does
    nothing and the line under the list says so, until a number or an arrow picks a choice."""
    held = [False]
    numbered = [index for index, choice in enumerate(control.choices) if choice.shortcut_key]
    parts = prompt.application.layout.container.children
    parts.append(ConditionalContainer(
        Window(FormattedTextControl(lambda: [("class:error", message(
            "no_such_choice", language, count=len(numbered)))]), dont_extend_height=True),
        filter=Condition(lambda: held[0]),
    ))
    bindings = KeyBindings()

    @bindings.add(Keys.Any)
    def stray(event) -> None:
        held[0] = True

    def picking(index: int):
        def pick(event) -> None:
            control.pointed_at = index
            held[0] = False

        return pick

    def moving(step):
        def move(event) -> None:
            step()
            while not control.is_selection_valid():
                step()
            held[0] = False

        return move

    for index in numbered:
        bindings.add(str(control.choices[index].shortcut_key), eager=True)(picking(index))
    bindings.add(Keys.Down, eager=True)(moving(control.select_next))
    bindings.add(Keys.Up, eager=True)(moving(control.select_previous))
    bindings.add("enter", filter=Condition(lambda: held[0]), eager=True)(lambda event: None)
    return bindings


def _go_back(event) -> None:
    event.app.exit(result=BACK)


def _toggler(control: InquirerControl, index: int):
    def toggle(event) -> None:
        value = control.choices[index].value
        control.pointed_at = index
        if value in control.selected_options:
            control.selected_options.remove(value)
        else:
            control.selected_options.append(value)

    return toggle


def _tick_all(control: InquirerControl, answers: Sequence[object]):
    """Tick every answer, or untick them all when all are ticked already."""

    def tick_all(event) -> None:
        everything = all(value in control.selected_options for value in answers)
        control.selected_options = [] if everything else list(answers)

    return tick_all


def _invert(control: InquirerControl, answers: Sequence[object]):
    def invert(event) -> None:
        control.selected_options = [
            value for value in answers if value not in control.selected_options]

    return invert


def fit(text: str, tail: str = "", width: int = SCREEN_WIDTH - 6) -> str:
    """`text + tail` within `width` terminal columns (Chinese characters take two), cutting
    `text` first so that `tail` (an answer) stays readable."""
    if get_cwidth(text + tail) <= width:
        return text + tail
    room = max(width - get_cwidth(tail), width // 3)
    return cut(cut(text, room) + tail, width)


def cut(text: str, width: int) -> str:
    if get_cwidth(text) <= width:
        return text
    kept = []
    used = get_cwidth("…")
    for character in text:
        used += get_cwidth(character)
        if used > width:
            break
        kept.append(character)
    return "".join(kept) + "…"
