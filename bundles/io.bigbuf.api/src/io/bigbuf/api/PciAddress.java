package io.bigbuf.api;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The address of one PCI function as Linux writes it, {@code domain:bus:device.function} in
 * hexadecimal: {@code 0000:00:04.0}. Equal values name the same function.
 *
 * @param domain   PCI domain (segment), 0..0x7fffffff
 * @param bus      bus number, 0..0xff
 * @param device   device (slot) number, 0..0x1f
 * @param function function number, 0..7
 * @since 1.2
 */
public record PciAddress(int domain, int bus, int device, int function) implements Comparable<PciAddress> {

    private static final Pattern FORMAT = Pattern.compile(
            "(?:(\\p{XDigit}{1,8}):)?(\\p{XDigit}{1,2}):(\\p{XDigit}{1,2})\\.([0-7])");
    private static final Comparator<PciAddress> ORDER = Comparator.comparingInt(PciAddress::domain)
            .thenComparingInt(PciAddress::bus).thenComparingInt(PciAddress::device)
            .thenComparingInt(PciAddress::function);

    /**
     * Checks every field against its range.
     *
     * @throws IllegalArgumentException a field out of its range
     */
    public PciAddress {
        if (domain < 0) {
            throw new IllegalArgumentException("PCI domain must be 0..0x7fffffff, got " + domain);
        }
        if (bus < 0 || bus > 0xff) {
            throw new IllegalArgumentException("PCI bus must be 0..0xff, got " + bus);
        }
        if (device < 0 || device > 0x1f) {
            throw new IllegalArgumentException("PCI device must be 0..0x1f, got " + device);
        }
        if (function < 0 || function > 7) {
            throw new IllegalArgumentException("PCI function must be 0..7, got " + function);
        }
    }

    /**
     * Parses {@code 0000:00:04.0} or, in domain 0, {@code 00:04.0} (as {@code lspci} prints it).
     *
     * @param text the address, surrounding blanks ignored
     * @return the address
     * @throws IllegalArgumentException not such an address
     */
    public static PciAddress parse(String text) {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a PCI address like 0000:00:04.0");
        }
        long domain = m.group(1) == null ? 0 : Long.parseLong(m.group(1), 16);
        if (domain > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "': PCI domain above 0x7fffffff");
        }
        try {
            return new PciAddress((int) domain, Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3), 16),
                    Integer.parseInt(m.group(4)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "': " + e.getMessage(), e);
        }
    }

    @Override
    public int compareTo(PciAddress other) {
        return ORDER.compare(this, other);
    }

    /** {@code 0000:00:04.0}: the name of the function's directory in {@code /sys/bus/pci/devices}. */
    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%x", domain, bus, device, function);
    }
}
