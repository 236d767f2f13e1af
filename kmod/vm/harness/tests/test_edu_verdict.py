"""The edu stage's verdict on real guest output (data/, from a 6.1 run): every check must pass on
it, and a change that breaks one check must fail exactly that check."""

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

from harness import matrix, stages
from harness.matrix import STAGES, Guest

DATA = Path(__file__).parent / "data"
OPTS = stages.Options(dma_size="16M")


def guest(variant: str) -> Guest:
    v = next(v for v in STAGES["edu"].variants if v.name == variant)
    return Guest(STAGES["edu"], "6.1.0-57-amd64", v, debug_kernel=False, failinj=False)


class EduVerdict(unittest.TestCase):
    def judge(self, variant: str, text: str, rc: int = 0, log_text: str | None = None):
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "guest.log"
            if log_text is None:
                log_text = (DATA / "edu-intel.log").read_text() if variant != "direct" else ""
            log.write_text(log_text)
            with contextlib.redirect_stdout(io.StringIO()):    # its per-check lines
                return stages.judge_edu(OPTS, guest(variant), rc, text, Path(d) / "guest.out", log,
                                        60, 600)

    def out(self, variant: str) -> str:
        return (DATA / f"edu-{variant}.out").read_text()

    def test_real_outputs_pass_every_check(self):
        direct = self.judge("direct", self.out("direct"))
        self.assertTrue(direct.ok, direct.note)
        self.assertEqual((direct.passed, direct.failed), (10 + 9, 0))   # 10 checks + the C suite's 9
        intel = self.judge("intel", self.out("intel"))
        self.assertTrue(intel.ok, intel.note)
        self.assertEqual((intel.passed, intel.failed), (13 + 10, 0))

    def test_leaked_buffer_fails_exactly_that_check(self):
        text = self.out("direct").replace("edu-in-guest: module unloaded after the runtime\n", "")
        r = self.judge("direct", text)
        self.assertFalse(r.ok)
        self.assertEqual((r.passed, r.failed), (18, 1))
        self.assertIn("all buffers returned (rmmod succeeded)", r.note)

    def test_kernel_splat_fails_the_exit_check(self):
        r = self.judge("direct", self.out("direct"), rc=123)
        self.assertFalse(r.ok)
        self.assertEqual(r.failed, 1)
        self.assertIn("guest, suite and runtime exit 0", r.note)

    def test_no_dmar_fault_in_the_log_fails_behind_intel(self):
        r = self.judge("intel", self.out("intel"), log_text="")
        self.assertEqual(r.failed, 1)
        self.assertIn("DMAR faults", r.note)

    def test_direct_output_is_not_accepted_as_translated(self):
        r = self.judge("intel", self.out("direct"))
        self.assertFalse(r.ok)
        self.assertIn("the suite sees DMA translated", r.note)

    def test_failed_c_suite_test_counts(self):
        text = self.out("direct").replace("9 passed, 0 failed", "8 passed, 1 failed")
        r = self.judge("direct", text)
        self.assertFalse(r.ok)
        self.assertEqual((r.passed, r.failed), (10, 1))

    def test_missing_verification_line(self):
        text = "\n".join(ln for ln in self.out("intel").splitlines() if not ln.startswith("  verified "))
        r = self.judge("intel", text)
        self.assertEqual(r.failed, 1)
        self.assertIn("16M round trip verified", r.note)

    def test_translated_variants_are_the_iommu_machines(self):
        self.assertEqual({v.name for v in STAGES["edu"].variants if v.machine in matrix.TRANSLATED},
                         {"intel", "amd", "intel-strict"})


if __name__ == "__main__":
    unittest.main()
