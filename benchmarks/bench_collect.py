"""Benchmark: how quickly the terminal interview responds.

    python benchmarks/bench_collect.py            # 5 starts, one whole interview
    python benchmarks/bench_collect.py --starts 10

Everything runs in a real 80x24 pseudo-terminal (pexpect) on a fresh study of the bundled
2020 questionnaire; the terminal answers prompt_toolkit's cursor-position requests at once,
as a real one does. Measured:

- start: from launching `dmsurvey collect` to the first screen drawn (the introduction), and
  in clerk mode (`--entry 1 --form N`, no introduction) to the first question. Goal: under
  0.5 s. Baselines from the same run: `python -c pass` and `python -c "import typer"`.
- answer: from the key that confirms an answer to the next question drawn, the database
  commit included, over one whole interview. Goal: under 50 ms. Baseline: the commit alone
  (`Study.save_answer`).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
QUESTIONNAIRE = ROOT / "questionnaires" / "sme-digital-2020.yaml"
ENTER, SPACE = "\r", " "
CURSOR_POSITION_REQUEST = re.compile(re.escape("\x1b[6n"))
# The prompt's question mark, drawn once a question is on screen and waiting for keys.
PROMPT_DRAWN = re.compile(re.escape("\x1b[0;36;1m?"))
NEW_SCREEN = re.compile(re.escape("\x1b[2J"))


def spawn(*args: str) -> pexpect.spawn:
    env = dict(os.environ, TERM="xterm")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "dmsurvey", *args],
        dimensions=(24, 80),
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    child.delaybeforesend = None
    return child


def wait_for(child: pexpect.spawn, pattern: re.Pattern) -> float:
    """Wait for `pattern`, answering cursor-position requests meanwhile; returns the time."""
    while child.expect([pattern, CURSOR_POSITION_REQUEST]) == 1:
        child.send("\x1b[1;1R")
    return time.perf_counter()


def wait_for_prompt(child: pexpect.spawn) -> float:
    """Wait until a new screen is cleared and its prompt drawn (a prompt that has just been
    answered redraws its question mark too, so the clearing must come first)."""
    wait_for(child, NEW_SCREEN)
    return wait_for(child, PROMPT_DRAWN)


def stop(child: pexpect.spawn) -> None:
    child.kill(9)
    child.close(force=True)


def timed_command(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def time_start(study: Path, *extra: str) -> float:
    started = time.perf_counter()
    child = spawn("collect", str(study), "--lang", "en", *extra)
    ready = wait_for_prompt(child)
    stop(child)
    return ready - started


def valid_credit_code() -> str:
    """A unified social credit code that passes its check (a Shanghai firm's shape)."""
    from dmsurvey.questionnaire.formats import credit_code_check_character

    first_17 = "91310115MA1K4B2C3"
    return first_17 + credit_code_check_character(first_17)


def interview_keys(questionnaire) -> list[str]:
    """Keys for one whole interview choosing the first option everywhere (so the manufacturer
    path, with every follow-up question asked), in the order the screens come."""
    from dmsurvey.interview.engine import Interview

    interview = Interview(questionnaire, language="en")
    keys = []
    while (question := interview.current) is not None:
        if question.type == "select_multiple":
            keys.append(SPACE + ENTER)
            typed = [question.choices[0].code]
        elif question.type == "select_one" or not question.asks_for_answer:
            keys.append(ENTER)
            typed = question.choices[0].code if question.choices else None
        else:
            typed = "2,000" if question.is_numeric else "Benchmark Ltd"
            if question.format == "credit_code":
                typed = valid_credit_code()
            keys.append(typed + ENTER)
        if question.asks_for_answer:
            interview.record(interview.parse(typed, question), question)
        interview.advance()
    return keys


def time_answers(study: Path, keys: list[str]) -> list[float]:
    child = spawn("collect", str(study), "--lang", "en")
    wait_for_prompt(child)
    child.send(ENTER)  # the introduction
    wait_for_prompt(child)
    durations = []
    for typed in keys:
        child.send(typed)
        sent = time.perf_counter()
        durations.append(wait_for_prompt(child) - sent)
    stop(child)
    return durations


def time_commits(study: Path, count: int) -> list[float]:
    from dmsurvey.store.study import open_study

    opened = open_study(study)
    response_id = opened.start_response(enumerator="bench")
    durations = []
    for number in range(count):
        started = time.perf_counter()
        opened.save_answer(response_id, "employees_2019", number)
        durations.append(time.perf_counter() - started)
    opened.set_status(response_id, "void")
    return durations


def row(name: str, seconds: list[float], goal: str = "") -> str:
    median = statistics.median(seconds) * 1000
    worst = max(seconds) * 1000
    return f"| {name:<52} | {median:>8.1f} | {worst:>8.1f} | {len(seconds):>3} | {goal:<8} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=5, help="start-up runs per measure")
    options = parser.parse_args()

    from dmsurvey.store.study import init_study

    with tempfile.TemporaryDirectory() as folder:
        study = init_study(Path(folder) / "bench", questionnaire=QUESTIONNAIRE)
        repeat = range(options.starts)
        python_only = [timed_command([sys.executable, "-c", "pass"]) for _ in repeat]
        typer_only = [timed_command([sys.executable, "-c", "import typer"]) for _ in repeat]
        to_intro, to_question = [], []
        for number in repeat:  # alternated, so that a busy spell slows both alike
            to_intro.append(time_start(study.path))
            to_question.append(time_start(study.path, "--entry", "1", "--form", str(number)))
        keys = interview_keys(study.questionnaire)
        answers = time_answers(study.path, keys)
        commits = time_commits(study.path, len(keys))

    print(f"| {'measure (ms)':<52} | {'median':>8} | {'max':>8} | {'n':>3} | {'goal':<8} |")
    print(f"|{'-' * 54}|{'-' * 10}|{'-' * 10}|{'-' * 5}|{'-' * 10}|")
    print(row("baseline: python -c pass", python_only))
    print(row('baseline: python -c "import typer"', typer_only))
    print(row("dmsurvey collect -> introduction on screen", to_intro, "< 500"))
    print(row("dmsurvey collect --entry 1 --form N -> 1st question", to_question, "< 500"))
    print(row("baseline: commit of one answer (Study.save_answer)", commits))
    print(row("answer -> next question on screen, commit included", answers, "< 50"))


if __name__ == "__main__":
    main()
