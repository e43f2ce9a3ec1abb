"""A whole interview in a real terminal with one question of every type and a repeat of
three instances: back across an instance boundary, `kill -9` inside the second instance,
`collect --resume`, and the stored parent and child rows checked one by one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dmsurvey.store.study import init_study, open_study

from ..interview.terminal import CTRL_B, DOWN, ENTER, SPACE, Terminal

EVERY_TYPE = Path(__file__).with_name("every_type.yaml")
CLEAR_LINE = "\x15"  # Ctrl-U


def answer(terminal: Terminal, label: str, keys: str) -> None:
    terminal.expect(label)
    terminal.send(keys)


def test_every_type_and_a_repeat_survive_back_kill_and_resume(tmp_path):
    study = init_study(tmp_path / "study", EVERY_TYPE)
    photo = tmp_path / "camera" / "IMG_0042.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8\xff")
    terminal = Terminal("collect", str(study.path), "--lang", "en", "--enumerator", "Li")
    answer(terminal, "Start", ENTER)
    answer(terminal, "Welcome to the survey", ENTER)
    answer(terminal, "Visit date", "2020年7月31日")
    terminal.expect("→ 2020-07-31 (Fri 31 Jul 2020)")  # the date it understood, as typed
    terminal.send(ENTER)
    answer(terminal, "Arrival time", "9:05" + ENTER)
    answer(terminal, "Interview began", "2020-07-31 14:30" + ENTER)
    answer(terminal, "Gate location", "30.27 120.15 12 5" + ENTER)
    answer(terminal, "Route to the gate", "30.27 120.15; 30.28 120.16" + ENTER)
    answer(terminal, "Licence barcode", "6901234567892" + ENTER)
    answer(terminal, "Photo of the gate", str(photo) + ENTER)
    answer(terminal, "The firm agrees to take part", ENTER)
    answer(terminal, "Satisfaction with the zone", "11" + ENTER)
    terminal.expect("From 0 to 10")  # the range's ends
    terminal.send(CLEAR_LINE + "8" + ENTER)
    answer(terminal, "Province", DOWN + ENTER)  # Jiangsu
    terminal.expect("City")
    terminal.expect("Suzhou")
    offered = "\n".join(terminal.rows())
    assert "Nanjing" in offered and "Hangzhou" not in offered  # the cities of Jiangsu only
    terminal.send(DOWN + ENTER)
    answer(terminal, "Sales channels", SPACE + DOWN + DOWN + SPACE + ENTER)  # shop, agents
    answer(terminal, "Codes: cost) Cost  speed) Speed  quality) Quality",
           "quality cost speed" + ENTER)
    answer(terminal, "Employees", "120" + ENTER)
    answer(terminal, "Revenue", "1,234.5" + ENTER)
    # asked because the firm is large, as the calculation from the employees says
    answer(terminal, "HR contact", "Ms Wang" + ENTER)
    answer(terminal, "How many branches?", "3" + ENTER)

    terminal.expect("— Branches 1")
    answer(terminal, "Branch name", "East" + ENTER)
    answer(terminal, "Branch staff", "80" + ENTER)
    answer(terminal, "Branch manager", "Zhao" + ENTER)  # a big branch: calculated in it
    terminal.expect("— Branches 2")
    answer(terminal, "Branch name", CTRL_B)  # back across the boundary into branch 1
    terminal.expect("— Branches 1")
    answer(terminal, "Branch manager", CLEAR_LINE + "Qian" + ENTER)
    terminal.expect("— Branches 2")
    answer(terminal, "Branch name", "West" + ENTER)
    terminal.expect("— Branches 2")
    terminal.expect("Branch staff")
    terminal.kill()  # kill -9 inside the second instance

    response_id, = open_study(study.path).response_ids()
    resumed = Terminal("collect", str(study.path), "--resume", response_id[:8], "--lang", "en")
    resumed.expect("— Branches 2")  # back in the instance it was killed in
    answer(resumed, "Branch staff", "12" + ENTER)  # small: no manager asked
    resumed.expect("— Branches 3")
    answer(resumed, "Branch name", "North" + ENTER)
    answer(resumed, "Branch staff", "60" + ENTER)
    answer(resumed, "Branch manager", "Sun" + ENTER)
    answer(resumed, "Remarks", "Thank you" + ENTER)
    resumed.expect("Submit the questionnaire")
    review = "\n".join(resumed.rows())
    for title in ("Branches 1  (3/3)", "Branches 2  (2/2)", "Branches 3  (3/3)"):
        assert title in review
    resumed.send(ENTER)
    answer(resumed, "Submit the questionnaire now?", "y")
    status, printed = resumed.finish()
    assert status == 0, printed

    stored = open_study(study.path)
    parent = stored.get_response(response_id)
    assert parent["status"] == "complete" and parent["enumerator"] == "Li"
    expected = {
        "visit_date": "2020-07-31", "arrived": "09:05:00",
        "visited_at": "2020-07-31T14:30:00", "gate": "30.27 120.15 12 5",
        "route": "30.27 120.15 0 0;30.28 120.16 0 0", "licence_code": "6901234567892",
        "gate_photo": "IMG_0042.jpg", "consent": "OK", "satisfaction": 8,
        "province": "jiangsu", "city": "suzhou", "channels": "shop agents",
        "priorities": "quality cost speed", "employees": 120, "revenue": 1234.5,
        "large_firm": "yes", "hr_contact": "Ms Wang", "n_branches": 3, "remarks": "Thank you",
    }
    for question_id, value in expected.items():
        assert parent[question_id] == value, question_id
    assert stored.get_answers(response_id) == expected

    branches = {
        "1": {"branch_name": "East", "branch_staff": 80, "big_branch": "yes",
              "branch_manager": "Qian"},
        "2": {"branch_name": "West", "branch_staff": 12, "big_branch": "no"},
        "3": {"branch_name": "North", "branch_staff": 60, "big_branch": "yes",
              "branch_manager": "Sun"},
    }
    assert stored.get_repeat_answers(response_id) == {"branches": branches}
    with sqlite3.connect(stored.database_path) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM repeat_branches ORDER BY instance").fetchall()
    assert len(rows) == 3
    for row, (key, answers) in zip(rows, branches.items(), strict=True):
        assert (row["response_id"], row["instance_key"], row["parent_key"], row["instance"]) == (
            response_id, key, None, int(key))
        assert {name: row[name] for name in answers} == answers
        assert all(row[name] is None for name in row.keys() if name not in answers
                   and name not in ("response_id", "instance_key", "parent_key", "instance"))

    trail = stored.audit(response_id)
    changed = trail[trail["field"] == "branches[1].branch_manager"]
    assert changed["new"].tolist() == ["Zhao", "Qian"]  # the change through the boundary
    assert changed["old"].iloc[-1] == "Zhao"
