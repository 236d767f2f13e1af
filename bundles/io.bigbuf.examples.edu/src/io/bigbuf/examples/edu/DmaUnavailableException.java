package io.bigbuf.examples.edu;

import java.util.List;

/**
 * Real device DMA cannot work in this environment, for reasons known before touching the device:
 * no allocator, an allocator with simulated addresses (the mock backend), no edu device, or an
 * IOMMU that translates the device's addresses. The message lists every reason found.
 */
public class DmaUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> reasons;

    public DmaUnavailableException(List<String> reasons) {
        super(format(reasons));
        this.reasons = List.copyOf(reasons);
    }

    /** Each reason, one sentence, with what to change. */
    public List<String> reasons() {
        return reasons;
    }

    private static String format(List<String> reasons) {
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("at least one reason is needed");
        }
        if (reasons.size() == 1) {
            return "real device DMA is not possible: " + reasons.get(0);
        }
        StringBuilder text = new StringBuilder("real device DMA is not possible:");
        for (String reason : reasons) {
            text.append(System.lineSeparator()).append("  - ").append(reason);
        }
        return text.toString();
    }
}
