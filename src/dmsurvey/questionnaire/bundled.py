"""The questionnaires that ship with dmsurvey, found by name.

An installed package carries them in `dmsurvey/questionnaires/`; a source checkout
(editable install) keeps them in the repository's top-level `questionnaires/` folder.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class BundledInfo:
    name: str
    title: str
    version: str
    questions: int
    path: Path


def bundled_folders() -> list[Path]:
    """Where bundled questionnaires are looked for, in order."""
    folders = []
    packaged = importlib.resources.files("dmsurvey") / "questionnaires"
    if packaged.is_dir():
        folders.append(Path(str(packaged)))
    checkout = Path(__file__).resolve().parents[3] / "questionnaires"
    if checkout.is_dir() and checkout not in folders:
        folders.append(checkout)
    return folders


def _files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in bundled_folders():
        for path in sorted(folder.iterdir()):
            if path.suffix in SUFFIXES:
                found.setdefault(path.stem, path)
    return found


def bundled_path(name: str) -> Path | None:
    """The file of the bundled questionnaire `name`, or None if there is none."""
    return _files().get(name)


def list_bundled(language: str | None = None) -> list[BundledInfo]:
    """Name, title, version and number of questions of every bundled questionnaire."""
    from dmsurvey.questionnaire.loader import load_questionnaire

    infos = []
    for name, path in sorted(_files().items()):
        questionnaire = load_questionnaire(path)
        infos.append(
            BundledInfo(
                name=name,
                title=questionnaire.title.in_language(questionnaire.label_language(language)),
                version=questionnaire.version,
                questions=len(questionnaire.answerable),
                path=path,
            )
        )
    return infos
