"""The terminal interview (`dmsurvey collect`).

`engine` is the interview as a pure state machine (skip logic, back, progress, answer
parsing and validation, review); `prompts` the questionary prompts; `session` ties them to
the study store; `messages` holds the tool's own words in every language it speaks.

    >>> from dmsurvey.interview.session import collect
    >>> collect("my-study", enumerator="Li", language="en")   # in a terminal
"""
