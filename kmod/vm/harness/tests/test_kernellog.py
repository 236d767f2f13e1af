"""The splat scan of kmod/vm/boot and the /dev/kmsg conversion."""

import unittest

from harness import kernellog


class KmsgStream(unittest.TestCase):
    def test_records_become_dmesg_lines_and_continuations_are_dropped(self):
        stream = b"6,339,3340170,-;bigbuf: loaded\r\n SUBSYSTEM=misc\n4,340,12000001,-;WARNING: x\n"
        self.assertEqual(kernellog.kmsg_to_log(stream),
                         b"[    3.340170] bigbuf: loaded\n[   12.000001] WARNING: x\n")


class Splats(unittest.TestCase):
    def test_kernel_lines_count_and_the_commands_own_output_does_not(self):
        log = (b"[    1.000000] Linux version 6.1\n"
               b"WARNING: A terminally deprecated method in sun.misc.Unsafe has been called\n"
               b"[    2.000000] WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:1 foo+0x1/0x2\n"
               b"[    3.000000] BUG: KASAN: slab-out-of-bounds in bb_ioctl+0x10\n")
        found = kernellog.splats(log, None)
        self.assertEqual([ln.split(b"] ", 1)[1][:8] for ln in found], [b"WARNING:", b"BUG: KAS"])

    def test_the_same_report_twice_counts_once_and_kmemleak_lines_count(self):
        log = b"[    2.0] BUG: sleeping function called from invalid context\n" \
              b"[    9.5] BUG: sleeping function called from invalid context\n"
        found = kernellog.splats(log, b"unreferenced object 0xffff888003c4e000 (size 64):\n")
        self.assertEqual(len(found), 2)
        self.assertTrue(found[1].startswith(b"unreferenced object"))

    def test_a_clean_log_has_none(self):
        self.assertEqual(kernellog.splats(b"[    1.0] bigbuf: loaded\n[    2.0] bigbuf: unloaded\n", b""), [])

    def test_allocation_failure_traces_inside_the_injection_window_are_not_splats(self):
        log = b"".join([
            b"[ 1.0] bigbuf-failinj: injection on\n",
            b"[ 1.1] bigbuf_failinj: page allocation failure: order:10, mode:0x140cca\n",
            b"[ 1.2] Call Trace:\n",
            b"[ 1.3]  <TASK>\n",
            b"[ 1.4]  </TASK>\n",
            b"[ 1.5] bigbuf-failinj: injection off\n",
            b"[ 2.1] bigbuf_failinj: page allocation failure: order:10, mode:0x140cca\n",
            b"[ 2.2] Call Trace:\n",
        ])
        found = kernellog.splats(log, None)
        self.assertEqual(found, [b"[ 2.2] Call Trace:\n"[:-1]], "only the trace outside the window")

    def test_a_warning_inside_the_window_still_fails_with_its_trace(self):
        log = b"".join([
            b"[ 1.0] bigbuf-failinj: injection on\n",
            b"[ 1.1] bigbuf_failinj: page allocation failure: order:0\n",
            b"[ 1.2] ------------[ cut here ]------------\n",
            b"[ 1.3] WARNING: CPU: 1 PID: 7 at kmod/src/bigbuf_main.c:120\n",
            b"[ 1.4] Call Trace:\n",
            b"[ 1.5] bigbuf-failinj: injection off\n",
        ])
        texts = [ln.split(b"] ", 1)[1] for ln in kernellog.splats(log, None)]
        self.assertEqual(texts, [b"WARNING: CPU: 1 PID: 7 at kmod/src/bigbuf_main.c:120", b"Call Trace:"])


if __name__ == "__main__":
    unittest.main()
