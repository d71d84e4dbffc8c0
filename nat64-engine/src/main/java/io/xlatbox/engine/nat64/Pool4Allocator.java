package io.xlatbox.engine.nat64;

import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.addr.Pool4Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * pool4 as IPv4 addresses times port ranges per protocol, with the ports in use. Allocation follows
 * RFC 6146 §3.5.1.1: the IPv6 host's paired address first (RFC 4787 REQ-2), a port in the same range as the
 * source port (0-1023 or 1024-65535) and of the same parity (RFC 4787 §4.2.2), starting from a point hashed
 * from the host so that hosts spread over the pool (in the spirit of RFC 6056 algorithm 3). A used-port bitmap
 * per address is created when that address gets its first port.
 */
final class Pool4Allocator {
    private static final long EVEN = 0x5555555555555555L;
    private static final long ODD = 0xAAAAAAAAAAAAAAAAL;

    /** Per protocol: sorted distinct addresses, their entries' port ranges, and used-port bitmaps. */
    private static final class ProtocolPool {
        final int[] addresses;
        final int[][] rangeMin; // per address: the ranges of the entries covering it
        final int[][] rangeMax;
        final long[][] used;
        final int[] usedCount;

        ProtocolPool(List<Pool4Entry> entries) {
            TreeSet<Long> set = new TreeSet<>();
            for (Pool4Entry e : entries) {
                for (long a = e.prefix().first() & 0xFFFFFFFFL; a <= (e.prefix().last() & 0xFFFFFFFFL); a++) {
                    set.add(a);
                }
            }
            addresses = set.stream().mapToInt(Long::intValue).toArray();
            rangeMin = new int[addresses.length][];
            rangeMax = new int[addresses.length][];
            for (int i = 0; i < addresses.length; i++) {
                List<int[]> r = new ArrayList<>();
                for (Pool4Entry e : entries) {
                    if (e.prefix().contains(addresses[i])) {
                        r.add(new int[] {e.portMin(), e.portMax()});
                    }
                }
                rangeMin[i] = r.stream().mapToInt(x -> x[0]).toArray();
                rangeMax[i] = r.stream().mapToInt(x -> x[1]).toArray();
            }
            used = new long[addresses.length][];
            usedCount = new int[addresses.length];
        }

        int indexOf(int address) {
            return find(addresses, address);
        }
    }

    /** Binary search of an address, compared unsigned, in a sorted array; -1 when absent. */
    private static int find(int[] sorted, int address) {
        int lo = 0;
        int hi = sorted.length - 1;
        long key = address & 0xFFFFFFFFL;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long v = sorted[mid] & 0xFFFFFFFFL;
            if (v < key) {
                lo = mid + 1;
            } else if (v > key) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    private final ProtocolPool[] pools = new ProtocolPool[L4Protocol.values().length];
    private final int[] allAddresses;

    Pool4Allocator(List<Pool4Entry> pool4) {
        TreeSet<Long> all = new TreeSet<>();
        for (L4Protocol p : L4Protocol.values()) {
            List<Pool4Entry> mine = new ArrayList<>();
            for (Pool4Entry e : pool4) {
                if (e.protocol() == p) {
                    mine.add(e);
                }
            }
            pools[p.ordinal()] = new ProtocolPool(mine);
            for (int a : pools[p.ordinal()].addresses) {
                all.add(a & 0xFFFFFFFFL);
            }
        }
        allAddresses = all.stream().mapToInt(Long::intValue).toArray();
    }

    /** Whether the address belongs to pool4 for any protocol (the test for hairpinning and for IPv4 input). */
    boolean isPoolAddress(int address) {
        long a = address & 0xFFFFFFFFL;
        if (allAddresses.length == 0 || a < (allAddresses[0] & 0xFFFFFFFFL)
                || a > (allAddresses[allAddresses.length - 1] & 0xFFFFFFFFL)) {
            return false; // the common case, traffic to the IPv4 internet, costs two comparisons
        }
        return find(allAddresses, address) >= 0;
    }

    boolean contains(int proto, int address, int port) {
        ProtocolPool p = pools[proto];
        int i = p.indexOf(address);
        if (i < 0) {
            return false;
        }
        for (int r = 0; r < p.rangeMin[i].length; r++) {
            if (port >= p.rangeMin[i][r] && port <= p.rangeMax[i][r]) {
                return true;
            }
        }
        return false;
    }

    /** Marks a port used (static BIB entries, entries carried over a reconfiguration). */
    void reserve(int proto, int address, int port) {
        ProtocolPool p = pools[proto];
        int i = p.indexOf(address);
        if (i >= 0) {
            long[] u = bitmap(p, i);
            if ((u[port >>> 6] & (1L << port)) == 0) {
                u[port >>> 6] |= 1L << port;
                p.usedCount[i]++;
            }
        }
    }

    void release(int proto, int address, int port) {
        ProtocolPool p = pools[proto];
        int i = p.indexOf(address);
        if (i >= 0 && p.used[i] != null && (p.used[i][port >>> 6] & (1L << port)) != 0) {
            p.used[i][port >>> 6] &= ~(1L << port);
            p.usedCount[i]--;
        }
    }

    boolean isUsed(int proto, int address, int port) {
        ProtocolPool p = pools[proto];
        int i = p.indexOf(address);
        return i >= 0 && p.used[i] != null && (p.used[i][port >>> 6] & (1L << port)) != 0;
    }

    private static long[] bitmap(ProtocolPool p, int i) {
        long[] u = p.used[i];
        if (u == null) {
            u = new long[1024];
            p.used[i] = u;
        }
        return u;
    }

    /**
     * Allocates an IPv4 transport address for a host.
     *
     * @param paired the address this host already uses, or 0
     * @param srcPort the IPv6 source port (ICMP: identifier), whose range and parity are kept
     * @param spread a hash of the host and port that picks where the search starts
     * @return {@code address << 16 | port} as a long, or -1 when the pool is exhausted
     */
    long allocate(int proto, int paired, int srcPort, int spread) {
        ProtocolPool p = pools[proto];
        int n = p.addresses.length;
        if (n == 0) {
            return -1;
        }
        boolean icmp = proto == L4Protocol.ICMP.ordinal();
        int lo = icmp ? 0 : srcPort < 1024 ? 0 : 1024;
        int hi = icmp ? 65535 : srcPort < 1024 ? 1023 : 65535;
        int parity = icmp ? -1 : srcPort & 1;
        int pairedIdx = paired == 0 ? -1 : p.indexOf(paired);
        int start = Math.floorMod(spread, n);
        // 1. paired address, same range and parity; 2. any address, same range and parity;
        // 3. paired, any port; 4. any address, any port (RFC 6146: "MAY assign a port from another range").
        for (int pass = 0; pass < 2; pass++) {
            int plo = pass == 0 ? lo : 0;
            int phi = pass == 0 ? hi : 65535;
            int ppar = pass == 0 ? parity : -1;
            if (pairedIdx >= 0) {
                int port = findIn(p, pairedIdx, plo, phi, ppar, spread);
                if (port >= 0) {
                    return take(p, pairedIdx, port);
                }
            }
            for (int k = 0; k < n; k++) {
                int i = (start + k) % n;
                if (i == pairedIdx || (p.used[i] != null && p.usedCount[i] >= 65536)) {
                    continue;
                }
                int port = findIn(p, i, plo, phi, ppar, spread);
                if (port >= 0) {
                    return take(p, i, port);
                }
            }
        }
        return -1;
    }

    private static long take(ProtocolPool p, int i, int port) {
        long[] u = bitmap(p, i);
        u[port >>> 6] |= 1L << port;
        p.usedCount[i]++;
        return ((p.addresses[i] & 0xFFFFFFFFL) << 16) | port;
    }

    /** A free port of address i within [lo, hi] and its entries' ranges, of the given parity (-1: any). */
    private static int findIn(ProtocolPool p, int i, int lo, int hi, int parity, int spread) {
        int ranges = p.rangeMin[i].length;
        for (int k = 0; k < ranges; k++) {
            int r = Math.floorMod(spread + k, ranges);
            int a = Math.max(lo, p.rangeMin[i][r]);
            int b = Math.min(hi, p.rangeMax[i][r]);
            if (a > b) {
                continue;
            }
            int from = a + Math.floorMod(spread, b - a + 1);
            int port = scan(p.used[i], from, b, parity);
            if (port < 0) {
                port = scan(p.used[i], a, from - 1, parity);
            }
            if (port >= 0) {
                return port;
            }
        }
        return -1;
    }

    /** First free port in [from, to] of the parity, a 64-port word at a time. */
    private static int scan(long[] used, int from, int to, int parity) {
        if (from > to) {
            return -1;
        }
        long pmask = parity < 0 ? -1L : parity == 0 ? EVEN : ODD;
        for (int w = from >>> 6; w <= to >>> 6; w++) {
            long free = (used == null ? -1L : ~used[w]) & pmask;
            if (w == from >>> 6) {
                free &= -1L << (from & 63);
            }
            if (w == to >>> 6 && (to & 63) != 63) {
                free &= (1L << ((to & 63) + 1)) - 1;
            }
            if (free != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(free);
            }
        }
        return -1;
    }

    /** Ports in use and ports available, per address, for the status API. */
    List<long[]> usage(int proto) {
        ProtocolPool p = pools[proto];
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < p.addresses.length; i++) {
            long total = 0;
            for (int r = 0; r < p.rangeMin[i].length; r++) {
                total += p.rangeMax[i][r] - p.rangeMin[i][r] + 1;
            }
            out.add(new long[] {p.addresses[i] & 0xFFFFFFFFL, p.usedCount[i], total});
        }
        return out;
    }
}
