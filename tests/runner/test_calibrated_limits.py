"""A cell stopped by a calibrated limit says where the limit comes from, in both languages."""

from __future__ import annotations

from grader.model import Message, Status
from grader.runner.session import Limits, RunnerSession

WHY = Message("limite 2 s : 20 fois la cellule la plus lente de la solution (0,1 s)",
              "limit 2 s: 20 times the slowest cell of the solution (0.1 s)").as_dict()


def test_a_timed_out_cell_carries_the_calibrated_origin_of_its_limit():
    limits = Limits(preload=(), cell_timeout=2, grace=3, wall_timeout=60, origins={"cell_timeout": WHY})
    with RunnerSession(["x = 1", "while True:\n    pass", "y = x + 1"], None, limits) as session:
        cells = session.run_cells()
    assert [c.status for c in cells] == [Status.PASSED, Status.TIMEOUT, Status.PASSED]
    notes = [n for n in cells[1].notes if isinstance(n, Message)]
    assert any(n.fr == WHY["fr"] and n.en == WHY["en"] for n in notes), cells[1].notes
    assert not cells[0].notes and not cells[2].notes


def test_without_a_calibration_a_time_out_has_no_origin_note():
    limits = Limits(preload=(), cell_timeout=2, grace=3, wall_timeout=60)
    with RunnerSession(["while True:\n    pass"], None, limits) as session:
        [cell] = session.run_cells()
    assert cell.status is Status.TIMEOUT and not any("solution" in str(n) for n in cell.notes)
