package io.bigbuf.api;

import java.util.Locale;

/**
 * Parses and prints byte counts the way people type them: {@code 4096}, {@code 64K}, {@code 64M},
 * {@code 1G}, {@code 0x1000} (binary units, case-insensitive, optional trailing {@code B} or
 * {@code iB}).
 */
public final class ByteSize {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSize() {
    }

    /**
     * Parses a byte count as people type it.
     *
     * @param text e.g. {@code 4096}, {@code 64K}, {@code 64MiB}, {@code 0x1000}; surrounding blanks ignored
     * @return the number of bytes, &ge; 0
     * @throws IllegalArgumentException not a size, negative, or larger than {@link Long#MAX_VALUE}
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("size is empty; use e.g. 4096, 64K, 64M, 1G");
        }
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.startsWith("0X")) {
            try {
                return Long.parseLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                throw notASize(text);
            }
        }
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            int unit = "KMGTPE".indexOf(s.charAt(s.length() - 1));
            if (unit >= 0) {
                shift = 10 * (unit + 1);
                s = s.substring(0, s.length() - 1);
            }
        }
        long number;
        try {
            number = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw notASize(text);
        }
        if (number < 0) {
            throw new IllegalArgumentException("'" + text + "' is negative; sizes are positive byte counts");
        }
        if (shift > 0 && number > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return number << shift;
    }

    /**
     * Readable and never misleadingly rounded near a limit: exact in the largest unit when possible
     * ({@code 64 MiB}), else exact in the next smaller unit when that stays short ({@code 4092 KiB},
     * not "4.0 MiB"), else one decimal ({@code 211.1 MiB}). Below 1 KiB in bytes.
     *
     * @param bytes a byte count, &ge; 0
     * @return e.g. {@code 64 MiB}
     */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        if (bytes % (1L << (10 * unit)) == 0) {
            return (bytes >> (10 * unit)) + " " + UNITS[unit];
        }
        double value = bytes / Math.pow(1024, unit);
        boolean oneDecimalIsExact = Math.round(value * 10) / 10.0 == value;
        long lower = 1L << (10 * (unit - 1));
        if (!oneDecimalIsExact && bytes % lower == 0 && bytes / lower < 10240) {
            return bytes / lower + " " + UNITS[unit - 1];
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    private static IllegalArgumentException notASize(String text) {
        return new IllegalArgumentException("'" + text + "' is not a size; use e.g. 4096, 64K, 64M, 1G");
    }
}
