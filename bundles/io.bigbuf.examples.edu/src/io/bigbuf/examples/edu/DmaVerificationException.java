package io.bigbuf.examples.edu;

/**
 * The data that came back through the device differs from what was sent: the buffer is not
 * physically contiguous where its address says, or the device or driver is broken.
 */
public class DmaVerificationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient DmaRoundTripReport report;

    public DmaVerificationException(DmaRoundTripReport report) {
        super(report.toString());
        this.report = report;
    }

    public DmaRoundTripReport report() {
        return report;
    }
}
