package io.xlatbox.appliance.config;

/** The change was made against a version that is no longer the active one (If-Match mismatch). */
public final class VersionConflictException extends RuntimeException {
    private final long expected;
    private final long active;

    public VersionConflictException(long expected, long active) {
        super("the configuration changed meanwhile: the change was made against version " + expected
                + ", the active version is " + active + "; reload and apply again");
        this.expected = expected;
        this.active = active;
    }

    public long expected() {
        return expected;
    }

    public long active() {
        return active;
    }
}
