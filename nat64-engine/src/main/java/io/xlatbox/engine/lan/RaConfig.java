package io.xlatbox.engine.lan;

import io.xlatbox.engine.ConfigException;
import io.xlatbox.engine.ConfigException.FieldError;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the appliance advertises on its LAN interface (RFC 4861 §6.2.1 router configuration variables, with the
 * options of RFC 4861 §4.6, RFC 8106 and RFC 8781). Immutable; every instance is valid: {@link Builder#build()}
 * checks everything and reports all problems at once in a {@link ConfigException}. Times are whole seconds, as on
 * the wire. Names are the user-visible ones (UI, REST, database).
 */
public final class RaConfig {
    /** A 32-bit lifetime of all one bits: infinity (RFC 4861 §4.6.2, RFC 8106 §5.1). */
    public static final long INFINITE = 0xFFFF_FFFFL;
    /** RFC 4861 §6.2.1: MaxRtrAdvInterval bounds and default. */
    public static final int MAX_RTR_ADV_INTERVAL_MIN = 4;
    public static final int MAX_RTR_ADV_INTERVAL_MAX = 1800;
    public static final int MAX_RTR_ADV_INTERVAL_DEFAULT = 600;
    /** RFC 4861 §6.2.1: MinRtrAdvInterval is at least 3 s. */
    public static final int MIN_RTR_ADV_INTERVAL_MIN = 3;
    /** RFC 4861 §6.2.1: AdvDefaultLifetime is 0 or between MaxRtrAdvInterval and 9000 s. */
    public static final int ROUTER_LIFETIME_MAX = 9000;
    /** RFC 4861 §6.2.1 AdvValidLifetime and AdvPreferredLifetime defaults: 30 and 7 days. */
    public static final long PREFIX_VALID_LIFETIME_DEFAULT = 2_592_000;
    public static final long PREFIX_PREFERRED_LIFETIME_DEFAULT = 604_800;
    /** RFC 8781 §4: the largest lifetime the 13-bit Scaled Lifetime can carry (8191 × 8 s). */
    public static final int PREF64_LIFETIME_MAX = 65_528;
    /** At most this many RDNSS addresses: enough for any LAN, and the advertisement stays far below 1280 bytes. */
    public static final int MAX_RDNSS = 8;

    private final String interfaceName;
    private final String lanPrefix;
    private final long lanPrefixHi;
    private final long prefixValidLifetime;
    private final long prefixPreferredLifetime;
    private final boolean prefixOnLink;
    private final boolean prefixAutonomous;
    private final List<String> rdnssAddresses;
    private final long rdnssLifetime;
    private final Rfc6052Prefix pref64;
    private final int pref64Lifetime;
    private final int mtu;
    private final int routerLifetime;
    private final int minRtrAdvInterval;
    private final int maxRtrAdvInterval;

    private RaConfig(Builder b, String lanPrefix, long lanPrefixHi, List<String> rdnss, long rdnssLifetime,
                     int pref64Lifetime, int routerLifetime, int minInterval) {
        interfaceName = b.interfaceName;
        this.lanPrefix = lanPrefix;
        this.lanPrefixHi = lanPrefixHi;
        prefixValidLifetime = b.prefixValidLifetime;
        prefixPreferredLifetime = b.prefixPreferredLifetime;
        prefixOnLink = b.prefixOnLink;
        prefixAutonomous = b.prefixAutonomous;
        rdnssAddresses = List.copyOf(rdnss);
        this.rdnssLifetime = rdnssLifetime;
        pref64 = b.pref64;
        this.pref64Lifetime = pref64Lifetime;
        mtu = b.mtu;
        this.routerLifetime = routerLifetime;
        minRtrAdvInterval = minInterval;
        maxRtrAdvInterval = b.maxRtrAdvInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values (defaults that were derived are now explicit). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.interfaceName = interfaceName;
        b.lanPrefix = lanPrefix;
        b.prefixValidLifetime = prefixValidLifetime;
        b.prefixPreferredLifetime = prefixPreferredLifetime;
        b.prefixOnLink = prefixOnLink;
        b.prefixAutonomous = prefixAutonomous;
        b.rdnssAddresses = new ArrayList<>(rdnssAddresses);
        b.rdnssLifetime = rdnssLifetime;
        b.pref64 = pref64;
        b.pref64Lifetime = pref64Lifetime;
        b.mtu = mtu;
        b.routerLifetime = routerLifetime;
        b.minRtrAdvInterval = minRtrAdvInterval;
        b.maxRtrAdvInterval = maxRtrAdvInterval;
        return b;
    }

    /** The LAN interface the advertisements go out of and solicitations come in on. */
    public String interfaceName() { return interfaceName; }
    /** The LAN /64, e.g. {@code 2001:db8:1::/64}: the Prefix Information option (RFC 4861 §4.6.2), for SLAAC. */
    public String lanPrefix() { return lanPrefix; }
    /** The upper 64 bits of {@link #lanPrefix()}. */
    public long lanPrefixHi() { return lanPrefixHi; }
    /** AdvValidLifetime in seconds; {@link #INFINITE} is infinity. */
    public long prefixValidLifetime() { return prefixValidLifetime; }
    /** AdvPreferredLifetime in seconds, never above the valid lifetime. */
    public long prefixPreferredLifetime() { return prefixPreferredLifetime; }
    /** AdvOnLinkFlag (L). */
    public boolean prefixOnLink() { return prefixOnLink; }
    /** AdvAutonomousFlag (A): hosts form SLAAC addresses in the prefix. */
    public boolean prefixAutonomous() { return prefixAutonomous; }
    /** The DNS servers of the RDNSS option (RFC 8106), canonical text; empty: no option. */
    public List<String> rdnssAddresses() { return rdnssAddresses; }
    /** Lifetime of the RDNSS option, seconds; {@link #INFINITE} is infinity. */
    public long rdnssLifetime() { return rdnssLifetime; }
    /** The NAT64 prefix of the PREF64 option (RFC 8781), or null for no option. */
    public Rfc6052Prefix pref64() { return pref64; }
    /** Lifetime of the PREF64 option, seconds (sent rounded up to a multiple of 8). */
    public int pref64Lifetime() { return pref64Lifetime; }
    /** AdvLinkMTU for the MTU option (RFC 4861 §4.6.4); 0: no option. */
    public int mtu() { return mtu; }
    /** AdvDefaultLifetime, the Router Lifetime field; 0: not a default router. */
    public int routerLifetime() { return routerLifetime; }
    /** MinRtrAdvInterval, seconds. */
    public int minRtrAdvInterval() { return minRtrAdvInterval; }
    /** MaxRtrAdvInterval, seconds. */
    public int maxRtrAdvInterval() { return maxRtrAdvInterval; }

    @Override
    public boolean equals(Object o) {
        return o instanceof RaConfig c && c.interfaceName.equals(interfaceName) && c.lanPrefixHi == lanPrefixHi
                && c.prefixValidLifetime == prefixValidLifetime && c.prefixPreferredLifetime == prefixPreferredLifetime
                && c.prefixOnLink == prefixOnLink && c.prefixAutonomous == prefixAutonomous
                && c.rdnssAddresses.equals(rdnssAddresses) && c.rdnssLifetime == rdnssLifetime
                && Objects.equals(c.pref64, pref64) && c.pref64Lifetime == pref64Lifetime && c.mtu == mtu
                && c.routerLifetime == routerLifetime && c.minRtrAdvInterval == minRtrAdvInterval
                && c.maxRtrAdvInterval == maxRtrAdvInterval;
    }

    @Override
    public int hashCode() {
        return Objects.hash(interfaceName, lanPrefixHi, prefixValidLifetime, prefixPreferredLifetime, prefixOnLink,
                prefixAutonomous, rdnssAddresses, rdnssLifetime, pref64, pref64Lifetime, mtu, routerLifetime,
                minRtrAdvInterval, maxRtrAdvInterval);
    }

    @Override
    public String toString() {
        return "RaConfig{interfaceName=" + interfaceName + ", lanPrefix=" + lanPrefix
                + ", prefixValidLifetime=" + prefixValidLifetime + ", prefixPreferredLifetime=" + prefixPreferredLifetime
                + ", prefixOnLink=" + prefixOnLink + ", prefixAutonomous=" + prefixAutonomous
                + ", rdnssAddresses=" + rdnssAddresses + ", rdnssLifetime=" + rdnssLifetime + ", pref64=" + pref64
                + ", pref64Lifetime=" + pref64Lifetime + ", mtu=" + mtu + ", routerLifetime=" + routerLifetime
                + ", minRtrAdvInterval=" + minRtrAdvInterval + ", maxRtrAdvInterval=" + maxRtrAdvInterval + "}";
    }

    /**
     * Mutable builder; {@link #build()} validates. Setters take text where users type text. Lifetimes left unset
     * follow MaxRtrAdvInterval as the RFCs recommend: router, RDNSS and PREF64 lifetimes 3 × MaxRtrAdvInterval
     * (RFC 4861 §6.2.1, RFC 8106 §5.1, RFC 8781 §4.1; PREF64 at most {@value RaConfig#PREF64_LIFETIME_MAX} s).
     */
    public static final class Builder {
        private String interfaceName;
        private String lanPrefix;
        private long prefixValidLifetime = PREFIX_VALID_LIFETIME_DEFAULT;
        private long prefixPreferredLifetime = PREFIX_PREFERRED_LIFETIME_DEFAULT;
        private boolean prefixOnLink = true;
        private boolean prefixAutonomous = true;
        private List<String> rdnssAddresses = new ArrayList<>();
        private Long rdnssLifetime;
        private Rfc6052Prefix pref64;
        private Integer pref64Lifetime;
        private int mtu;
        private Integer routerLifetime;
        private Integer minRtrAdvInterval;
        private int maxRtrAdvInterval = MAX_RTR_ADV_INTERVAL_DEFAULT;

        private Builder() {
        }

        public Builder interfaceName(String n) { interfaceName = n; return this; }
        public Builder lanPrefix(String p) { lanPrefix = p; return this; }
        public Builder prefixValidLifetime(long s) { prefixValidLifetime = s; return this; }
        public Builder prefixPreferredLifetime(long s) { prefixPreferredLifetime = s; return this; }
        public Builder prefixOnLink(boolean b) { prefixOnLink = b; return this; }
        public Builder prefixAutonomous(boolean b) { prefixAutonomous = b; return this; }
        public Builder rdnssAddresses(List<String> a) { rdnssAddresses = new ArrayList<>(a); return this; }
        public Builder addRdnssAddress(String a) { rdnssAddresses.add(a); return this; }
        /** Null: 3 × MaxRtrAdvInterval. */
        public Builder rdnssLifetime(Long s) { rdnssLifetime = s; return this; }
        /** Null: no PREF64 option. */
        public Builder pref64(Rfc6052Prefix p) { pref64 = p; return this; }
        /** Null or blank: no PREF64 option. */
        public Builder pref64(String p) { pref64 = p == null || p.isBlank() ? null : Rfc6052Prefix.parse(p); return this; }
        /** Null: 3 × MaxRtrAdvInterval, at most {@value RaConfig#PREF64_LIFETIME_MAX}. */
        public Builder pref64Lifetime(Integer s) { pref64Lifetime = s; return this; }
        /** 0: no MTU option. */
        public Builder mtu(int m) { mtu = m; return this; }
        /** Null: 3 × MaxRtrAdvInterval. */
        public Builder routerLifetime(Integer s) { routerLifetime = s; return this; }
        /** Null: 0.33 × MaxRtrAdvInterval (at least 3 s; 3 s when MaxRtrAdvInterval is below 9 s). */
        public Builder minRtrAdvInterval(Integer s) { minRtrAdvInterval = s; return this; }
        public Builder maxRtrAdvInterval(int s) { maxRtrAdvInterval = s; return this; }

        /** Validates every field and returns the snapshot, or throws {@link ConfigException} listing all errors. */
        public RaConfig build() {
            List<FieldError> errors = new ArrayList<>();
            if (interfaceName == null || interfaceName.isBlank()) {
                errors.add(new FieldError("interfaceName", "is required"));
            } else if (!interfaceName.matches("[A-Za-z0-9_.@-]{1,15}") || interfaceName.equals(".")
                    || interfaceName.equals("..")) {
                errors.add(new FieldError("interfaceName", "'" + interfaceName + "' is not an interface name "
                        + "(1 to 15 of A-Z a-z 0-9 _ . @ -)"));
            }

            String prefixText = null;
            long prefixHi = 0;
            if (lanPrefix == null || lanPrefix.isBlank()) {
                errors.add(new FieldError("lanPrefix", "is required, e.g. 2001:db8:1::/64"));
            } else {
                try {
                    prefixHi = parseLanPrefix(lanPrefix.trim());
                    prefixText = Ipv6Address.format(prefixHi, 0) + "/64";
                } catch (IllegalArgumentException e) {
                    errors.add(new FieldError("lanPrefix", e.getMessage()));
                }
            }
            if (prefixValidLifetime < 1 || prefixValidLifetime > INFINITE) {
                errors.add(new FieldError("prefixValidLifetime", "must be in 1.." + INFINITE
                        + " s (" + INFINITE + " is infinity), was " + prefixValidLifetime));
            }
            if (prefixPreferredLifetime < 0 || prefixPreferredLifetime > INFINITE) {
                errors.add(new FieldError("prefixPreferredLifetime", "must be in 0.." + INFINITE + " s, was "
                        + prefixPreferredLifetime));
            } else if (prefixPreferredLifetime > prefixValidLifetime) {
                errors.add(new FieldError("prefixPreferredLifetime", "must not exceed prefixValidLifetime ("
                        + prefixValidLifetime + " s): hosts ignore such a prefix (RFC 4862 section 5.5.3)"));
            }

            boolean maxOk = maxRtrAdvInterval >= MAX_RTR_ADV_INTERVAL_MIN
                    && maxRtrAdvInterval <= MAX_RTR_ADV_INTERVAL_MAX;
            if (!maxOk) {
                errors.add(new FieldError("maxRtrAdvInterval", "must be in " + MAX_RTR_ADV_INTERVAL_MIN + ".."
                        + MAX_RTR_ADV_INTERVAL_MAX + " s (RFC 4861 section 6.2.1), was " + maxRtrAdvInterval));
            }
            int max = maxOk ? maxRtrAdvInterval : MAX_RTR_ADV_INTERVAL_DEFAULT;
            int min = minRtrAdvInterval != null ? minRtrAdvInterval : defaultMinInterval(max);
            if (min < MIN_RTR_ADV_INTERVAL_MIN || 4L * min > 3L * max) {
                errors.add(new FieldError("minRtrAdvInterval", "must be in " + MIN_RTR_ADV_INTERVAL_MIN + ".."
                        + (3 * max / 4) + " s, at most 0.75 x maxRtrAdvInterval (RFC 4861 section 6.2.1), was " + min));
            }
            int router = routerLifetime != null ? routerLifetime : 3 * max;
            if (router != 0 && (router < max || router > ROUTER_LIFETIME_MAX)) {
                errors.add(new FieldError("routerLifetime", "must be 0 (not a default router) or in " + max + ".."
                        + ROUTER_LIFETIME_MAX + " s, from maxRtrAdvInterval (RFC 4861 section 6.2.1), was " + router));
            }
            if (mtu != 0 && (mtu < 1280 || mtu > 65_535)) {
                errors.add(new FieldError("mtu", "must be 0 (no MTU option) or in 1280..65535, was " + mtu));
            }

            List<String> rdnss = new ArrayList<>();
            if (rdnssAddresses.size() > MAX_RDNSS) {
                errors.add(new FieldError("rdnssAddresses", "at most " + MAX_RDNSS + " addresses"));
            }
            for (int i = 0; i < rdnssAddresses.size(); i++) {
                String path = "rdnssAddresses[" + i + "]";
                String a = rdnssAddresses.get(i);
                if (a == null || a.isBlank()) {
                    errors.add(new FieldError(path, "is empty"));
                    continue;
                }
                try {
                    long[] v = Ipv6Address.parse(a.trim());
                    String problem = unicastProblem(v[0], v[1]);
                    String text = Ipv6Address.format(v[0], v[1]);
                    if (problem != null) {
                        errors.add(new FieldError(path, text + " " + problem));
                    } else if (rdnss.contains(text)) {
                        errors.add(new FieldError(path, text + " is listed twice"));
                    } else {
                        rdnss.add(text);
                    }
                } catch (IllegalArgumentException e) {
                    errors.add(new FieldError(path, e.getMessage()));
                }
            }
            long rdnssLife = rdnssLifetime != null ? rdnssLifetime : 3L * max;
            if (rdnssLife < max || rdnssLife > INFINITE) {
                errors.add(new FieldError("rdnssLifetime", "must be in " + max + ".." + INFINITE
                        + " s: at least maxRtrAdvInterval, or clients lose their DNS server between advertisements"
                        + " (RFC 8106 section 5.1 recommends 3 x maxRtrAdvInterval), was " + rdnssLife));
            }

            int pref64Life = pref64Lifetime != null ? pref64Lifetime : Math.min(3 * max, PREF64_LIFETIME_MAX);
            if (pref64Life < 1 || pref64Life > PREF64_LIFETIME_MAX) {
                errors.add(new FieldError("pref64Lifetime", "must be in 1.." + PREF64_LIFETIME_MAX
                        + " s, what the 13-bit Scaled Lifetime of RFC 8781 section 4 carries, was " + pref64Life));
            } else if (pref64 != null && router != 0 && router <= PREF64_LIFETIME_MAX && pref64Life < router) {
                errors.add(new FieldError("pref64Lifetime", "must be at least routerLifetime (" + router
                        + " s): a NAT64 prefix that expires before the router leaves clients with a default route"
                        + " and no PREF64 (RFC 8781 section 4.1), was " + pref64Life));
            }

            if (!errors.isEmpty()) {
                throw new ConfigException(errors);
            }
            return new RaConfig(this, prefixText, prefixHi, rdnss, rdnssLife, pref64Life, router, min);
        }

        /**
         * RFC 4861 §6.2.1: 0.33 × MaxRtrAdvInterval when that is at least 9 s. Below 9 s the RFC's default
         * (MaxRtrAdvInterval itself) would break its own bound of 0.75 × MaxRtrAdvInterval; 3 s, the least
         * allowed, is used instead.
         */
        static int defaultMinInterval(int max) {
            return max >= 9 ? Math.max(MIN_RTR_ADV_INTERVAL_MIN, max * 33 / 100) : MIN_RTR_ADV_INTERVAL_MIN;
        }

        /** The upper 64 bits of a /64 usable for SLAAC (RFC 4862 §5.5.3, RFC 2464 §4: a 64-bit interface id). */
        private static long parseLanPrefix(String text) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("'" + text + "' needs a length: the LAN prefix is a /64, e.g. "
                        + "2001:db8:1::/64");
            }
            String len = text.substring(slash + 1);
            if (!len.equals("64")) {
                throw new IllegalArgumentException("'" + text + "' is not a /64: SLAAC on an Ethernet LAN needs "
                        + "exactly a /64 (RFC 4862 section 5.5.3, RFC 2464 section 4)");
            }
            long[] a = Ipv6Address.parse(text.substring(0, slash));
            if (a[1] != 0) {
                throw new IllegalArgumentException("'" + text + "' has bits set beyond its length; did you mean "
                        + Ipv6Address.format(a[0], 0) + "/64?");
            }
            String problem = unicastProblem(a[0], 1);
            if (problem != null || (a[0] >>> 54) == 0x3FA) { // fe80::/10
                throw new IllegalArgumentException("'" + text + "' cannot be a LAN prefix: "
                        + (problem != null ? "it " + problem : "it is link-local (fe80::/10)"));
            }
            return a[0];
        }

        /** Why an address is no unicast address for a host to use, or null. */
        private static String unicastProblem(long hi, long lo) {
            if (hi == 0 && lo == 0) {
                return "is the unspecified address";
            }
            if (hi == 0 && lo == 1) {
                return "is the loopback address";
            }
            if ((hi >>> 56) == 0xFF) {
                return "is a multicast address";
            }
            return null;
        }
    }
}
