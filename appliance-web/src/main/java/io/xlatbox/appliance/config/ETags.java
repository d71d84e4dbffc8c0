package io.xlatbox.appliance.config;

/**
 * Configuration resources carry the active version as a strong ETag ("12"); writes must send it back in
 * If-Match (RFC 9110 §13.1.1), so that an edit made against an older version is refused instead of lost.
 */
public final class ETags {
    private ETags() {
    }

    public static String of(long version) {
        return "\"" + version + "\"";
    }

    /** The version an If-Match header names; throws {@link PreconditionRequiredException} when there is none. */
    public static long parseIfMatch(String header) {
        if (header == null || header.isBlank()) {
            throw new PreconditionRequiredException();
        }
        String v = header.trim();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        v = v.replace("\"", "");
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("If-Match must name a configuration version, such as \"12\" (got "
                    + header + ")");
        }
    }

    /** RFC 6585 §3: a write without If-Match. */
    public static final class PreconditionRequiredException extends RuntimeException {
        public PreconditionRequiredException() {
            super("this change needs an If-Match header with the version it was made against (the ETag of "
                    + "GET /api/v1/config), so that no concurrent change is lost");
        }
    }
}
