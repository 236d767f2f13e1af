"""The result format: counts parsing, the common verdict, the summary's totals."""

import json
import tempfile
import unittest
from pathlib import Path

from harness import results
from harness.results import Result


class CountsParsing(unittest.TestCase):
    def test_last_and_first_counts_line(self):
        text = "x\n3 passed, 0 failed\nnoise\n\x1b[1m40 passed, 2 failed\x1b[0m\r\ntrailer\n"
        self.assertEqual(results.first_counts(text), (3, 0))
        self.assertEqual(results.last_counts(text), (40, 2))

    def test_counts_line_must_be_the_whole_line(self):
        text = "check: 3 passed, 0 failed\n3 passed, 0 failed (of 5)\n"
        self.assertIsNone(results.last_counts(text))

    def test_surefire_sums_modules_and_leaves_skipped_out(self):
        text = "\n".join([
            "[INFO] Tests run: 10, Failures: 0, Errors: 0, Skipped: 1",
            "[WARNING] Tests run: 5, Failures: 1, Errors: 2, Skipped: 0",
            "[INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.2 s -- in X",
            "\x1b[1;32m[INFO] Tests run: 4, Failures: 0, Errors: 0, Skipped: 0\x1b[m",
        ])
        # 19 run, 3 bad, 1 skipped; the per-class line (with "Time elapsed") is not a module total.
        self.assertEqual(results.surefire_counts(text), (15, 3))
        self.assertIsNone(results.surefire_counts("[INFO] BUILD SUCCESS\n"))


class Verdict(unittest.TestCase):
    def test_pass_needs_exit_0_a_count_and_no_failure(self):
        self.assertTrue(results.judge("kmod", "k", 0, (5, 0), 1).ok)
        self.assertFalse(results.judge("kmod", "k", 0, (5, 1), 1).ok)
        self.assertFalse(results.judge("kmod", "k", 1, (5, 0), 1).ok)

    def test_zero_tests_is_red(self):
        r = results.judge("kmod", "k", 0, (0, 0), 1)
        self.assertFalse(r.ok)
        self.assertEqual(r.note, "no test ran")
        self.assertEqual(r.checks_failed, 1)

    def test_missing_counts_line(self):
        r = results.judge("kmod", "k", 0, None, 1)
        self.assertFalse(r.ok)
        self.assertIn("no 'N passed, N failed' line", r.note)

    def test_boot_exit_statuses_are_named(self):
        self.assertIn("kernel splat", results.judge("kmod", "k", 123, (5, 0), 1).note)
        timeout = results.judge("kmod", "k", 124, None, 1, timeout=600, log="/x.log")
        self.assertIn("timeout after 600 s", timeout.note)
        self.assertIn("log /x.log", timeout.note)
        self.assertIn("exit 7", results.judge("kmod", "k", 7, (1, 0), 1).note)


class Summary(unittest.TestCase):
    def rows(self):
        return [
            Result("maven", "maven", 280, 0, 100, True),
            Result("kmod", "kmod 6.1 plain", 51, 0, 30, True),
            Result("kmod", "kmod debug plain", None, None, 40, False, "timeout"),
            Result("edu", "edu 6.1 direct", 17, 2, 50, False, "checks failed"),
        ]

    def test_totals_count_a_failed_row_without_counts_as_one(self):
        text = results.summary(self.rows(), ["head"], 220)
        lines = text.splitlines()
        self.assertEqual(lines[0], "head")
        self.assertEqual(lines[-1], "348 passed, 3 failed")
        self.assertEqual(lines[-2], "suites: 2 passed, 2 failed")
        self.assertIn("total 220 s", lines)
        per_stage = {ln.split()[0]: ln.split()[1:] for ln in lines if ln.split()[:1] in
                     (["maven"], ["kmod"], ["edu"]) and len(ln.split()) == 5}
        self.assertEqual(per_stage["kmod"], ["2", "1", "51", "1"])

    def test_jsonl_has_one_row_per_result(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "results.jsonl"
            results.write_jsonl(self.rows(), path)
            rows = [json.loads(ln) for ln in path.read_text().splitlines()]
        self.assertEqual([r["name"] for r in rows], [r.name for r in self.rows()])
        self.assertEqual(rows[2]["passed"], None)
        self.assertFalse(rows[3]["ok"])


if __name__ == "__main__":
    unittest.main()
