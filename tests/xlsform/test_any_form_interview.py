"""`collect` opens on the first question of every field form, in a real terminal."""

from __future__ import annotations

import pytest

from dmsurvey.questionnaire.loader import load_questionnaire
from dmsurvey.store.study import init_study

from ..interview.terminal import ENTER, Terminal
from .field_forms import FIELD_FORMS


@pytest.mark.slow
def test_collect_opens_on_the_first_question_of_every_form(tmp_path):
    for name, field_form in FIELD_FORMS.items():
        form = field_form.write(tmp_path / "forms", name)
        questionnaire = load_questionnaire(form)
        first = next(q for q in questionnaire.questions if q.is_shown)
        study = tmp_path / name
        init_study(study, form)
        terminal = Terminal("collect", str(study), "--enumerator", "Li", timeout=20)
        terminal.expect("Start")
        terminal.send(ENTER)
        terminal.expect(f"{first.section} · 1/")
        terminal.expect(first.label.in_language(questionnaire.default_language))
        terminal.kill()
