package io.xlatbox.dns64;

import io.xlatbox.dns64.Dns64Config.Endpoint;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The DNS64 server: UDP and TCP listeners on every configured address, the cache, the resolver and the upstream
 * client. {@link #start} binds and starts everything; {@link #apply} swaps the configuration live (listeners that
 * change are rebound, the others keep running; the cache is cleared when a synthesis setting changes);
 * {@link #stop} releases every socket and thread.
 *
 * <pre>{@code
 * Dns64Server dns64 = Dns64Server.start(Dns64Config.builder()
 *         .listen("127.0.0.1:53").upstreams("192.0.2.53").addPrefix("64:ff9b::/96").build());
 * dns64.counters().get(Dns64Counter.SYNTHESIZED);
 * dns64.stop();
 * }</pre>
 */
public final class Dns64Server implements AutoCloseable {
    private static final int BIND_TRIES = 10;

    /** One listen address: its UDP sockets and its TCP socket, on the same port. */
    private record Binding(Endpoint endpoint, int threads, UdpListener udp, ServerSocketChannel tcp,
                           InetSocketAddress bound) {
    }

    private final Dns64Counters counters = new Dns64Counters();
    private final QueryHandler handler;
    private final Upstream upstream;
    private final Resolver resolver;
    private final TcpServer tcp;
    private volatile Snapshot snapshot;
    private volatile ResponseCache cache;
    private volatile List<Binding> bindings = List.of();
    private boolean stopped;

    private final InNamespace namespace;

    private Dns64Server(Dns64Config config, InNamespace namespace) throws IOException {
        this.namespace = namespace;
        snapshot = new Snapshot(config);
        cache = new ResponseCache(config.cacheMaxEntries(), config.cacheMaxBytes());
        handler = new QueryHandler(this);
        upstream = new Upstream(counters, Math.min(4, config.udpThreads()), snapshot.upstreams,
                config.upstreamTimeout().toNanos(), namespace);
        resolver = new Resolver(counters, upstream, () -> cache);
        TcpServer t = null;
        try {
            t = new TcpServer(handler, counters, config.tcpMaxConnections(), config.tcpIdleTimeout().toNanos());
        } catch (IOException e) {
            upstream.close();
            throw e;
        }
        tcp = t;
    }

    /** Binds every listen address and starts serving. */
    public static Dns64Server start(Dns64Config config) throws IOException {
        return start(config, null);
    }

    /**
     * As {@link #start(Dns64Config)}, with every socket (listeners and upstream queries) in the named network
     * namespace: the appliance's lab runs its DNS64 in the router namespace, next to the NAT64's TUN device.
     */
    public static Dns64Server start(Dns64Config config, String networkNamespace) throws IOException {
        InNamespace ns = new InNamespace(networkNamespace);
        Dns64Server s = ns.call(() -> new Dns64Server(config, ns));
        try {
            s.apply(config);
        } catch (IOException | RuntimeException e) {
            s.stop();
            throw e;
        }
        return s;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    ResponseCache cache() {
        return cache;
    }

    Resolver resolver() {
        return resolver;
    }

    /** The configuration in force. */
    public Dns64Config config() {
        return snapshot.config;
    }

    /**
     * Swaps the configuration live. New listeners are bound first: if one cannot be bound, the exception comes
     * back and the old configuration keeps running. Queries in progress finish with the configuration they began
     * with.
     */
    public synchronized void apply(Dns64Config next) throws IOException {
        if (stopped) {
            throw new IllegalStateException("stopped");
        }
        Dns64Config prev = snapshot.config;
        List<Binding> remaining = new ArrayList<>(bindings);
        List<Binding> result = new ArrayList<>();
        List<Binding> opened = new ArrayList<>();
        List<Binding> closedEarly = new ArrayList<>();
        try {
            for (Endpoint e : bindOrder(next.listen())) {
                Binding keep = null;
                for (Binding b : remaining) {
                    if (b.endpoint().equals(e) && b.threads() == next.udpThreads()) {
                        keep = b;
                        break;
                    }
                }
                if (keep != null) {
                    remaining.remove(keep);
                    result.add(keep);
                    continue;
                }
                if (e.port() != 0) {
                    // The same fixed port with other settings: it must be released before it is bound again.
                    for (Binding b : new ArrayList<>(remaining)) {
                        if (b.endpoint().equals(e)) {
                            remaining.remove(b);
                            close(b);
                            closedEarly.add(b);
                        }
                    }
                }
                Binding nb;
                try {
                    nb = bind(e, next.udpThreads());
                } catch (BindException ex) {
                    if (coveredByDualStack(e, result)) {
                        continue; // [::]:port took IPv4 too (net.ipv6.bindv6only=0): nothing is missing
                    }
                    throw ex;
                }
                opened.add(nb);
                result.add(nb);
            }
        } catch (IOException | RuntimeException ex) {
            opened.forEach(this::close);
            List<Binding> restored = new ArrayList<>(bindings);
            for (Binding b : closedEarly) {
                restored.remove(b);
                try {
                    restored.add(bind(b.endpoint(), b.threads()));
                } catch (IOException ignored) {
                    // the address was taken in between: nothing more can be done
                }
            }
            bindings = List.copyOf(restored);
            throw ex;
        }
        Snapshot s = new Snapshot(next);
        ResponseCache c = cache;
        if (c.maxEntries != next.cacheMaxEntries() || c.maxBytes != next.cacheMaxBytes()) {
            cache = new ResponseCache(next.cacheMaxEntries(), next.cacheMaxBytes());
        } else if (prev.synthesisDiffers(next) || prev.cacheMaxTtl().compareTo(next.cacheMaxTtl()) > 0) {
            c.clear();
        }
        snapshot = s;
        upstream.configure(s.upstreams, next.upstreamTimeout().toNanos());
        tcp.limits(next.tcpMaxConnections(), next.tcpIdleTimeout().toNanos());
        remaining.forEach(this::close);
        bindings = List.copyOf(result);
    }

    /**
     * IPv6 wildcards first: bound first, a dual-stack [::]:port also takes IPv4, and 0.0.0.0:port is then covered;
     * the other way round the IPv6 socket could not be bound at all.
     */
    private static List<Endpoint> bindOrder(List<Endpoint> listen) {
        List<Endpoint> ordered = new ArrayList<>(listen);
        ordered.sort(Comparator.comparingInt(e -> isIpv6Wildcard(e.socketAddress().getAddress()) ? 0 : 1));
        return ordered;
    }

    private static boolean isIpv6Wildcard(InetAddress a) {
        return a.isAnyLocalAddress() && a.getAddress().length == 16;
    }

    /** An IPv4 wildcard whose port a dual-stack IPv6 wildcard socket of ours already serves. */
    private static boolean coveredByDualStack(Endpoint e, List<Binding> bound) {
        if (!e.socketAddress().getAddress().isAnyLocalAddress() || e.socketAddress().getAddress().getAddress().length
                != 4) {
            return false;
        }
        for (Binding b : bound) {
            if (isIpv6Wildcard(b.bound().getAddress()) && b.bound().getPort() == e.port()) {
                return true;
            }
        }
        return false;
    }

    private Binding bind(Endpoint e, int threads) throws IOException {
        return namespace.call(() -> bindHere(e, threads));
    }

    private Binding bindHere(Endpoint e, int threads) throws IOException {
        InetSocketAddress want = e.socketAddress();
        IOException last = null;
        for (int i = 0; i < BIND_TRIES; i++) {
            UdpListener udp = UdpListener.open(want, threads, handler, counters);
            try {
                InetSocketAddress bound = new InetSocketAddress(want.getAddress(), udp.port);
                ServerSocketChannel t = tcp.listen(bound);
                return new Binding(e, threads, udp, t, bound);
            } catch (IOException ex) {
                udp.close();
                last = ex;
                if (e.port() != 0 || !(ex instanceof BindException)) {
                    break; // a fixed port is what it is; only "any port" can look for another
                }
            }
        }
        throw new BindException("cannot bind TCP on " + e + ": " + (last == null ? "" : last.getMessage()));
    }

    private void close(Binding b) {
        b.udp().close();
        tcp.unlisten(b.tcp());
    }

    /** Stops listening, releases every socket and thread; queries in progress get no answer. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        bindings.forEach(this::close);
        bindings = List.of();
        tcp.close();
        upstream.close();
        cache.clear();
    }

    @Override
    public void close() {
        stop();
    }

    public Dns64Counters counters() {
        return counters;
    }

    /** The port each listen address got (UDP and TCP share it), in the order of {@link Dns64Config#listen()}. */
    public List<Integer> boundPorts() {
        return bindings.stream().map(b -> b.bound().getPort()).toList();
    }

    /**
     * The bound address of each listen address, in order, IPv6 wildcards first; an IPv4 wildcard that a
     * dual-stack IPv6 wildcard serves is not listed.
     */
    public List<InetSocketAddress> boundAddresses() {
        return bindings.stream().map(Binding::bound).toList();
    }

    /** Responses in the cache now. */
    public int cacheEntries() {
        return cache.size();
    }

    /** Empties the cache. */
    public void clearCache() {
        cache.clear();
    }

    /** Client queries waiting on upstreams now. */
    public int inFlight() {
        return resolver.waiting();
    }
}
