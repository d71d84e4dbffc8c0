package io.xlatbox.engine.lan;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a new configuration stopped advertising, sent a few more times with lifetime 0 so that clients drop it now
 * rather than when its old lifetime runs out: the old NAT64 prefix (RFC 8781 §5: a lifetime of 0 withdraws it; a
 * CLAT keeps using the prefix it has until then), old DNS servers (RFC 8106 §5.1: lifetime 0, "MUST no longer be
 * used"), and the old LAN prefix with valid and preferred lifetime 0 (hosts deprecate its addresses at once and, per
 * RFC 4862 §5.5.3 e, remove them within two hours).
 *
 * @param lanPrefixHi the old LAN /64, or null
 * @param pref64      the old NAT64 prefix, or null
 * @param rdnss       old DNS servers no longer listed
 */
record Withdrawals(Long lanPrefixHi, Rfc6052Prefix pref64, List<String> rdnss) {
    static final Withdrawals NONE = new Withdrawals(null, null, List.of());

    Withdrawals {
        rdnss = List.copyOf(rdnss);
    }

    /** What {@code before} advertised and {@code after} does not. */
    static Withdrawals between(RaConfig before, RaConfig after) {
        Long prefix = before.lanPrefixHi() != after.lanPrefixHi() ? before.lanPrefixHi() : null;
        Rfc6052Prefix p64 = before.pref64() != null && !Objects.equals(before.pref64(), after.pref64())
                ? before.pref64() : null;
        List<String> dns = new ArrayList<>(before.rdnssAddresses());
        dns.removeAll(after.rdnssAddresses());
        return new Withdrawals(prefix, p64, dns);
    }

    /** Adds what {@code newer} withdraws to this, minus whatever {@code current} advertises again. */
    Withdrawals plus(Withdrawals newer, RaConfig current) {
        Long prefix = newer.lanPrefixHi != null ? newer.lanPrefixHi : lanPrefixHi;
        if (prefix != null && prefix == current.lanPrefixHi()) {
            prefix = null;
        }
        Rfc6052Prefix p64 = newer.pref64 != null ? newer.pref64 : pref64;
        if (p64 != null && p64.equals(current.pref64())) {
            p64 = null;
        }
        List<String> dns = new ArrayList<>(rdnss);
        for (String a : newer.rdnss) {
            if (!dns.contains(a)) {
                dns.add(a);
            }
        }
        dns.removeAll(current.rdnssAddresses());
        while (dns.size() > RaConfig.MAX_RDNSS) {
            dns.remove(0); // the oldest go first; the advertisement stays small
        }
        return new Withdrawals(prefix, p64, dns);
    }

    boolean isEmpty() {
        return lanPrefixHi == null && pref64 == null && rdnss.isEmpty();
    }
}
