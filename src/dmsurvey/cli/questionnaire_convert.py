"""The `questionnaire convert` command: XLSForm to dmsurvey YAML."""

from __future__ import annotations


def convert() -> None:
    """Convert an ODK/KoboToolbox XLSForm into a dmsurvey questionnaire file."""
