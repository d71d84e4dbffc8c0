package io.xlatbox.dns64;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * DNS over TCP (RFC 7766) for every listen address, on one selector thread: two-byte length framing (RFC 1035
 * §4.2.2), several queries per connection and pipelining, answers in whatever order they complete (§6.2.1.1),
 * idle connections closed (§6.2.3), and bounds on connections and on queries outstanding per connection. I/O only.
 */
final class TcpServer implements Responder, AutoCloseable {
    private static final int MAX_OUTSTANDING = 64;
    private static final int MAX_QUEUED_BYTES = 1 << 20;

    private final QueryHandler handler;
    private final Dns64Counters counters;
    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<Conn> conns = new ArrayList<>();
    private volatile int maxConnections;
    private volatile long idleNanos;
    private volatile boolean running = true;

    TcpServer(QueryHandler handler, Dns64Counters counters, int maxConnections, long idleNanos) throws IOException {
        this.handler = handler;
        this.counters = counters;
        this.maxConnections = maxConnections;
        this.idleNanos = idleNanos;
        selector = Selector.open();
        thread = new Thread(this::loop, "dns64-tcp");
        thread.setDaemon(true);
        thread.start();
    }

    void limits(int maxConnections, long idleNanos) {
        this.maxConnections = maxConnections;
        this.idleNanos = idleNanos;
    }

    /** Binds a listening socket (in the caller, so that errors reach it) and serves it. */
    ServerSocketChannel listen(InetSocketAddress address) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address, 256);
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        runOnLoop(() -> {
            try {
                ch.register(selector, SelectionKey.OP_ACCEPT);
            } catch (IOException e) {
                closeQuietly(ch);
            }
        });
        return ch;
    }

    /** Stops listening on {@code ch}; its open connections finish normally. */
    void unlisten(ServerSocketChannel ch) {
        CountDownLatch done = new CountDownLatch(1);
        runOnLoop(() -> {
            SelectionKey k = ch.keyFor(selector);
            if (k != null) {
                k.cancel();
            }
            closeQuietly(ch);
            done.countDown();
        });
        try {
            done.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(ch);
    }

    private void runOnLoop(Runnable r) {
        if (Thread.currentThread() == thread) {
            r.run();
        } else {
            tasks.add(r);
            selector.wakeup();
        }
    }

    /** One client connection; touched only on the selector thread. */
    private final class Conn {
        final SocketChannel ch;
        final SelectionKey key;
        final InetAddress peer;
        ByteBuffer in = ByteBuffer.allocate(1024);
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        int queuedBytes;
        int outstanding;
        boolean eof;
        boolean closed;
        long lastActive;

        Conn(SocketChannel ch, SelectionKey key, InetAddress peer, long now) {
            this.ch = ch;
            this.key = key;
            this.peer = peer;
            this.lastActive = now;
        }

        void interest() {
            if (closed) {
                return;
            }
            int ops = 0;
            if (!eof && outstanding < MAX_OUTSTANDING && queuedBytes < MAX_QUEUED_BYTES) {
                ops |= SelectionKey.OP_READ;
            }
            if (!out.isEmpty()) {
                ops |= SelectionKey.OP_WRITE;
            }
            key.interestOps(ops);
            if (eof && outstanding == 0 && out.isEmpty()) {
                close(this);
            }
        }
    }

    @Override
    public void send(Object to, ByteBuffer response) {
        Conn c = (Conn) to;
        ByteBuffer framed = ByteBuffer.allocate(response.remaining() + 2);
        framed.putShort((short) response.remaining()).put(response).flip();
        runOnLoop(() -> {
            if (c.closed) {
                return;
            }
            c.out.add(framed);
            c.queuedBytes += framed.remaining();
            flush(c);
        });
    }

    @Override
    public void done(Object to) {
        Conn c = (Conn) to;
        runOnLoop(() -> {
            c.outstanding--;
            c.lastActive = System.nanoTime();
            c.interest();
        });
    }

    private void loop() {
        ByteBuffer outBuf = ByteBuffer.allocateDirect(65535 + 64);
        byte[] buf = new byte[65535];
        WireQuery wq = new WireQuery();
        Dns64Counters.Stripe stripe = counters.stripe();
        long lastSweep = System.nanoTime();
        while (running) {
            try {
                selector.select(500);
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    r.run();
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        accept((ServerSocketChannel) k.channel());
                        continue;
                    }
                    Conn c = (Conn) k.attachment();
                    try {
                        if (k.isWritable()) {
                            flush(c);
                        }
                        if (k.isValid() && k.isReadable()) {
                            read(c, wq, buf, outBuf, stripe);
                        }
                    } catch (IOException | RuntimeException e) {
                        close(c);
                    }
                }
                long now = System.nanoTime();
                if (now - lastSweep > TimeUnit.MILLISECONDS.toNanos(250)) {
                    lastSweep = now;
                    sweep(now);
                }
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void accept(ServerSocketChannel server) throws IOException {
        for (int i = 0; i < 64; i++) {
            SocketChannel ch = server.accept();
            if (ch == null) {
                return;
            }
            if (conns.size() >= maxConnections) {
                counters.inc(Dns64Counter.DROP_TCP_LIMIT);
                closeQuietly(ch);
                continue;
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            InetAddress peer = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
            Conn c = new Conn(ch, key, peer, System.nanoTime());
            key.attach(c);
            conns.add(c);
        }
    }

    private void read(Conn c, WireQuery wq, byte[] buf, ByteBuffer outBuf, Dns64Counters.Stripe stripe)
            throws IOException {
        int n = c.ch.read(c.in);
        if (n < 0) {
            c.eof = true; // answer what was asked, then close (RFC 7766 §6.2.4)
            c.interest();
            return;
        }
        c.lastActive = System.nanoTime();
        while (c.in.position() >= 2 && !c.closed) {
            int len = (c.in.get(0) & 0xFF) << 8 | (c.in.get(1) & 0xFF);
            if (len < Wire.HEADER) {
                stripe.inc(Dns64Counter.DROP_MALFORMED);
                close(c); // framing is lost: nothing after this can be trusted
                return;
            }
            if (c.in.capacity() < len + 2) {
                ByteBuffer bigger = ByteBuffer.allocate(len + 2);
                c.in.flip();
                bigger.put(c.in);
                c.in = bigger;
                return;
            }
            if (c.in.position() < len + 2) {
                break;
            }
            c.in.flip();
            c.in.position(2);
            c.in.get(buf, 0, len);
            c.in.compact();
            stripe.inc(Dns64Counter.QUERIES_TCP);
            int r = handler.handle(wq, buf, len, c.peer, true, this, c, outBuf, stripe);
            if (r == QueryHandler.SEND) {
                send(c, outBuf);
            } else if (r == QueryHandler.PENDING) {
                c.outstanding++;
            }
        }
        c.interest();
    }

    private void send(Conn c, ByteBuffer response) {
        ByteBuffer framed = ByteBuffer.allocate(response.remaining() + 2);
        framed.putShort((short) response.remaining()).put(response).flip();
        c.out.add(framed);
        c.queuedBytes += framed.remaining();
        flush(c);
    }

    private void flush(Conn c) {
        try {
            while (!c.out.isEmpty()) {
                ByteBuffer b = c.out.peek();
                int before = b.remaining();
                c.ch.write(b);
                c.queuedBytes -= before - b.remaining();
                if (b.hasRemaining()) {
                    break;
                }
                c.out.poll();
            }
            c.interest();
        } catch (IOException | RuntimeException e) {
            close(c);
        }
    }

    private void sweep(long now) {
        long idle = idleNanos;
        for (Conn c : new ArrayList<>(conns)) {
            boolean quiet = c.outstanding == 0 && c.out.isEmpty();
            if ((quiet && now - c.lastActive > idle) || now - c.lastActive > Math.max(idle, TimeUnit.SECONDS.toNanos(30))) {
                close(c);
            }
        }
    }

    private void close(Conn c) {
        if (c.closed) {
            return;
        }
        c.closed = true;
        c.key.cancel();
        closeQuietly(c.ch);
        conns.remove(c);
    }

    int connections() {
        return conns.size();
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey k : selector.keys()) {
            closeQuietly(k.channel());
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
