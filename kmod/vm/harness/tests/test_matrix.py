"""The matrix: which guests each stage boots on which kernels."""

import unittest

from harness import matrix
from harness.matrix import STAGES

DEBIAN = [("6.1.0-57-amd64", False, False), ("6.12.1+deb12-amd64", False, False),
          ("7.3.4+deb13-amd64", False, False)]
DEBUG = ("7.3.4-bigbuf-debug", True, True)


def names(stage, kernels, machines=None):
    return [(g.kernel.split("-")[0].split("+")[0], g.variant.name)
            for g in matrix.guests_of(STAGES[stage], kernels, machines)]


class Matrix(unittest.TestCase):
    def test_edu_runs_the_last_only_variants_once(self):
        got = names("edu", DEBIAN)
        self.assertEqual(len(got), 11)
        self.assertEqual([k for k, v in got if v == "numa2"], ["7.3.4"])
        self.assertEqual([k for k, v in got if v == "intel-strict"], ["7.3.4"])
        self.assertEqual(sum(v == "amd" for _, v in got), 3)

    def test_failinj_variant_only_on_fault_injection_kernels(self):
        self.assertEqual([v for _, v in names("reliability", DEBIAN)], ["plain"] * 3)
        self.assertEqual([v for _, v in names("reliability", [DEBUG])], ["plain", "intel-failinj"])

    def test_explicit_variants_run_on_every_kernel(self):
        self.assertEqual(names("edu", DEBIAN[:2], ["numa2"]), [("6.1.0", "numa2"), ("6.12.1", "numa2")])
        # Selected by machine name too: intel-failinj is the "intel" machine, still only with failinj.
        self.assertEqual([v for _, v in names("reliability", [*DEBIAN, DEBUG], ["intel"])],
                         ["intel-failinj"])

    def test_default_matrix_size(self):
        total = sum(len(matrix.guests_of(s, DEBIAN + ([DEBUG] if matrix.DEBUG in s.kernels else [])))
                    for s in STAGES.values())
        self.assertEqual(total, 29)

    def test_every_variant_names_a_machine(self):
        for s in STAGES.values():
            for v in s.variants:
                self.assertIn(v.machine, matrix.MACHINES, f"{s.name} {v.name}")

    def test_debug_guests_come_first_by_estimate(self):
        g = matrix.guests_of(STAGES["reliability"], [DEBIAN[0], DEBUG])
        self.assertGreater(g[1].estimate, g[0].estimate)


if __name__ == "__main__":
    unittest.main()
