"""The initramfs writer: archives that cpio itself lists as written."""

import shutil
import subprocess
import unittest

from harness import cpio


class NewcArchive(unittest.TestCase):
    def test_members_padding_and_trailer(self):
        data = cpio.archive([cpio.directory("bin"), cpio.regular("bin/sh", b"#!x\n", 0o755),
                             cpio.char_device("dev/console", 5, 1)], mtime=0)
        self.assertEqual(len(data) % cpio.ARCHIVE_BLOCK, 0)
        self.assertTrue(data.startswith(cpio.NEWC_MAGIC))
        self.assertIn(b"TRAILER!!!\0", data)
        # Every header starts on a 4-byte boundary: the second member's magic follows the first.
        second = data.index(cpio.NEWC_MAGIC, 1)
        self.assertEqual(second % 4, 0)

    @unittest.skipUnless(shutil.which("cpio"), "GNU cpio not installed (kmod/vm/setup installs it)")
    def test_gnu_cpio_lists_what_was_written(self):
        data = cpio.archive([cpio.directory("etc"), cpio.regular("etc/hostname", b"guest\n"),
                             cpio.char_device("dev/null", 1, 3, 0o666)], mtime=1700000000)
        listing = subprocess.run(["cpio", "-itv", "--quiet"], input=data, capture_output=True, check=True).stdout
        rows = [ln.split() for ln in listing.decode().splitlines()]
        self.assertEqual([r[-1] for r in rows], ["etc", "etc/hostname", "dev/null"])
        self.assertEqual(rows[1][0], "-rw-r--r--")
        self.assertEqual(rows[1][4], "6")
        self.assertTrue(rows[2][0].startswith("crw-rw-rw-"), rows[2])


if __name__ == "__main__":
    unittest.main()
