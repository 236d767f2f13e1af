package io.bigbuf.mock.model;

import java.util.Locale;
import java.util.Random;
import java.util.random.RandomGenerator;

/**
 * How a fresh {@link PhysicalMemoryModel} is fragmented by pinned pages, to imitate a machine that
 * has been up for a while: a max-order block with one unmovable page can only serve requests that
 * fit in its remaining halves, and no large request can span it.
 */
public enum FragmentationPattern {

    /** Nothing pinned: all memory is one free run. */
    NONE {
        @Override
        void pinPages(PhysicalMemoryModel model, int percent, long seed) {
        }
    },

    /** Each max-order block, with probability {@code percent}%, gets one pinned page at a random offset. */
    RANDOM {
        @Override
        void pinPages(PhysicalMemoryModel model, int percent, long seed) {
            RandomGenerator random = new Random(seed);
            long pagesPerBlock = model.maxBlockSize() / model.pageSize();
            for (long block = 0; block < blocks(model); block++) {
                if (random.nextInt(100) < percent) {
                    model.pin(block * pagesPerBlock + random.nextLong(pagesPerBlock));
                }
            }
        }
    },

    /**
     * The middle page of evenly spaced blocks is pinned, {@code percent}% of them (100: every
     * block, 50: every second, ...). Deterministic, so the largest free run is known exactly.
     */
    STRIPED {
        @Override
        void pinPages(PhysicalMemoryModel model, int percent, long seed) {
            if (percent == 0) {
                return;
            }
            long stride = Math.max(1, Math.round(100.0 / percent));
            long pagesPerBlock = model.maxBlockSize() / model.pageSize();
            for (long block = 0; block < blocks(model); block += stride) {
                model.pin(block * pagesPerBlock + pagesPerBlock / 2);
            }
        }
    };

    /**
     * Pins pages of a model that has no reservations yet.
     *
     * @param percent share of max-order blocks to fragment, 0..100
     * @param seed    seed for {@link #RANDOM}
     */
    public void apply(PhysicalMemoryModel model, int percent, long seed) {
        if (percent < 0 || percent > MAX_PERCENT) {
            throw new IllegalArgumentException("fragmentation percent must be within 0.." + MAX_PERCENT + ", got " + percent);
        }
        pinPages(model, percent, seed);
    }

    abstract void pinPages(PhysicalMemoryModel model, int percent, long seed);

    /** Largest share of blocks {@link #apply} fragments: all of them. */
    public static final int MAX_PERCENT = 100;

    /** Case-insensitive lookup with a message listing the valid names. */
    public static FragmentationPattern parse(String name) {
        for (FragmentationPattern p : values()) {
            if (p.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown fragmentation pattern '" + name + "'; use none, random or striped");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static long blocks(PhysicalMemoryModel model) {
        return model.totalBytes() / model.maxBlockSize();
    }
}
