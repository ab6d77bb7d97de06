#!/usr/bin/env python3
"""Tests of run.py --check on synthetic captured output (no ujm run needed, < 1 s).

    python3 -m unittest discover -s notebooks-text -p 'test_*.py'
"""
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

# A solve report as page 01 captured it on a machine whose OpenBLAS picks Haswell kernels.
CAPTURED = """\
Reduced problem (J_i = s·uuᵀ, w = y·t·u): oracle
  f* = 0.00462981270723581, s* = 0.198394719319305, t* = 0.48760146018351, ‖∇g‖ = 6.2e-17
Solver lbfgs: converged
  F = 0.00462981270723592, F − f* = 1.2e-16, ‖∇F‖ = 8.1e-10
  iterations 73, evaluations 87, restarts 0, polish iterations 0, 0.006 s
  rank one: max σ₂/σ₁ over blocks (worst J_16): measured 3.1e-08, tolerance 1.0e-06 — pass
  f* − F: measured -1.2e-16, tolerance 1.0e-13 — pass
10 of 10 checks passed
BLAS: Haswell, 2 thread(s)
-1 converged 3.903127820947816e-17 10 of 10 checks passed
"""


def changed(old, new, count=1):
    """CAPTURED with `old` replaced by `new` (which must occur `count` times)."""
    assert CAPTURED.count(old) == count, old
    return CAPTURED.replace(old, new)


class CheckToleratesMachineDifferences(unittest.TestCase):
    def test_identical_output_matches(self):
        self.assertEqual(run.compare(CAPTURED, CAPTURED), [])

    def test_other_kernels_rounding_level_changes_match(self):
        # What another core type (Cooperlake) and thread count changed on page 01.
        other = changed("Haswell, 2 thread(s)", "Cooperlake, 1 thread(s)")
        other = other.replace("measured 3.1e-08", "measured 2.8e-08")
        other = other.replace("0.00462981270723592", "0.00462981270723597")
        other = other.replace("‖∇g‖ = 6.2e-17", "‖∇g‖ = 1.1e-16")
        other = other.replace("F − f* = 1.2e-16", "F − f* = -3.5e-17")
        other = other.replace("measured -1.2e-16", "measured 3.5e-17")
        other = other.replace("3.903127820947816e-17", "-1.734723475976807e-17")
        other = other.replace("0.006 s", "0.011 s")
        self.assertEqual(run.compare(CAPTURED, other), [])

    def test_a_tolerance_followed_by_punctuation_is_read(self):
        # "tolerance 1e-6: pass" and "tolerance 0.002; |loss …" (the PyTorch scripts' lines).
        line = "  t: largest |difference| measured 3.6e-12, tolerance 1e-6: pass"
        self.assertIsNone(run.compare_lines(line, line.replace("3.6e-12", "4.2e-12")))
        self.assertIn("differs by 3.6e-05 > 1e-06",
                      run.compare_lines(line, line.replace("3.6e-12", "3.6e-05")))

    def test_printed_precision_is_tolerated(self):
        # 8.1e-10 printed to two digits may round to 8.2e-10.
        self.assertEqual(run.compare(CAPTURED, changed("8.1e-10", "8.2e-10")), [])


class CheckFailsOnChangedResults(unittest.TestCase):
    def assertMismatch(self, new, expected):
        problems = run.compare(CAPTURED, new)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(expected, problems[0])

    def test_a_figure_of_merit_moving_beyond_rel_fails(self):
        self.assertMismatch(
            changed("0.00462981270723592", "0.00462981271723592"),
            "differs by 1e-11 > 4.6e-12 (relative)")

    def test_a_measured_value_moving_beyond_its_checks_tolerance_fails(self):
        # A failing check (the perturbed optimum): 2.5e-4 → 3.0e-4 is a change of 5e-5, more
        # than the 1e-6 that the check states and than the printed precision (1e-5).
        failing = "  rank one: measured 2.5e-04, tolerance 1.0e-06 — FAIL"
        why = run.compare_lines(failing, failing.replace("2.5e-04", "3.0e-04"))
        self.assertIn("differs by 5e-05 > 1e-05", why)
        self.assertIsNone(run.compare_lines(failing, failing.replace("2.5e-04", "2.6e-04")))
        # A passing check may move by up to the tolerance it states, no further.
        self.assertEqual(run.compare(CAPTURED, changed("measured 3.1e-08", "measured 9.0e-07")), [])
        self.assertMismatch(
            changed("measured -1.2e-16, tolerance 1.0e-13", "measured -3.2e-13, tolerance 1.0e-13"),
            "(the tolerance this check states)")

    def test_a_verdict_change_fails(self):
        self.assertMismatch(
            changed("3.1e-08, tolerance 1.0e-06 — pass", "3.1e-06, tolerance 1.0e-06 — FAIL"),
            "the text differs")

    def test_a_residual_beyond_the_floor_fails(self):
        self.assertMismatch(changed("‖∇g‖ = 6.2e-17", "‖∇g‖ = 4.0e-9"), "differs by 4e-09")

    def test_a_changed_count_fails(self):
        self.assertMismatch(
            changed("10 of 10 checks passed\nBLAS", "9 of 10 checks passed\nBLAS"),
            "10 became 9")

    def test_a_missing_line_fails(self):
        problems = run.compare(CAPTURED, changed("Solver lbfgs: converged\n", ""))
        self.assertTrue(any("lines compared before" in p for p in problems), problems)

    def test_a_block_may_state_its_own_tolerance(self):
        loose = run.parse_tolerances(" rel=1e-3 ")
        self.assertEqual(
            run.compare(CAPTURED, changed("0.00462981270723592", "0.004630"), ), [])
        self.assertEqual(run.compare(CAPTURED, changed("0.00462981270723592", "0.0046301"),
                                     loose), [])
        for malformed in ["rel=abc", "nonsense", "=1e-9"]:
            with self.assertRaises(ValueError):
                run.parse_tolerances(malformed)

    def test_a_label_floor_covers_its_number_only(self):
        # The solver's stopping residual ‖∇F‖ (below 1e-9 by its stopping rule) and a count that
        # rounding decides, as pages 01 and 02 state them.
        settings = run.parse_tolerances("'‖∇F‖=1e-9' 'with sign det=2'")
        self.assertEqual(settings["labels"], {"‖∇F‖": 1e-9, "with sign det": 2.0})
        self.assertEqual(run.compare(CAPTURED, changed("8.1e-10", "7.1e-10"), settings), [])
        self.assertNotEqual(run.compare(CAPTURED, changed("8.1e-10", "7.1e-10")), [])
        self.assertNotEqual(
            run.compare(CAPTURED, changed("8.1e-10", "2.1e-9"), settings), [])
        note = "MT bound, n = 2…6, 333 with a rank-deficient factor, 429 with sign det = −1"
        self.assertIsNone(run.compare_lines(note, note.replace("429", "430"), settings))
        self.assertIn("333 became 334", run.compare_lines(
            note, note.replace("333", "334"), settings))

    def test_the_worst_block_of_a_check_is_not_compared(self):
        line = "  rank one: max σ₂/σ₁ over blocks (worst J_3): measured 1.7e-10, tolerance 1.0e-06 — pass"
        pair = "  aligned: (worst u₁(J_1), u₁(J_4)): measured 6.7e-16, tolerance 1.0e-06 — pass"
        self.assertIsNone(run.compare_lines(line, line.replace("J_3): measured 1.7e-10",
                                                               "J_4): measured 8.7e-10")))
        self.assertIsNone(run.compare_lines(pair, pair.replace("u₁(J_4)", "v₁(J_1)")))
        # Outside a check line, a block name is text like any other.
        self.assertEqual(run.compare_lines("worst J_3", "worst J_4"), "the text differs")


class CheckRunsAPage(unittest.TestCase):
    """End to end: a page whose command prints other-machine output passes --check, and one
    whose result changed fails it, naming the numbers."""

    def check_page(self, printed):
        page = ("# t\n\n<!-- check: rel=1e-9 -->\n```sh\nprintf '%s'\n```\n\n```output\n"
                "F = 0.0675874729457996, ‖∇g‖ = 3.1e-17\nBLAS: Haswell, 2 thread(s)\n```\n")
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write(page.replace("%s", printed))
        try:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = run.main(["--check", f.name])
            with open(f.name) as g:
                unchanged = g.read() == page.replace("%s", printed)
            return status, out.getvalue(), unchanged
        finally:
            os.unlink(f.name)

    def test_other_machine_passes(self):
        status, out, unchanged = self.check_page(
            "F = 0.0675874729457997, ‖∇g‖ = 5.5e-17\\nBLAS: Cooperlake, 1 thread(s)\\n")
        self.assertEqual(status, 0, out)
        self.assertTrue(unchanged, "--check must not rewrite the page")

    def test_changed_result_fails(self):
        status, out, _ = self.check_page(
            "F = 0.0675874730457996, ‖∇g‖ = 3.1e-17\\nBLAS: Haswell, 2 thread(s)\\n")
        self.assertEqual(status, 1)
        self.assertIn("0.0675874729457996 became 0.0675874730457996: differs by 1e-10 > 6.8e-11 (relative)", out)


if __name__ == "__main__":
    unittest.main()
