package io.xlatbox.dns64;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Drives a query that the cache could not answer: the {@link Synthesizer} decides, the {@link Upstream} asks,
 * step by step, with no thread of its own (each step runs on whichever thread the previous one completed on).
 * Identical queries waiting at the same time share one resolution. The final answer is cached and sent to every
 * client that waits for it. The number of waiting client queries is bounded: beyond it queries are dropped and
 * counted, so a flood cannot grow memory without bound.
 */
final class Resolver {
    /** Most clients that may wait on one resolution; more are dropped. */
    private static final int MAX_WAITERS = 64;

    private final Dns64Counters counters;
    private final Upstream upstream;
    private final Supplier<ResponseCache> cache;
    private final ConcurrentHashMap<CacheKey, Transaction> inflight = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(65535 + 64));

    Resolver(Dns64Counters counters, Upstream upstream, Supplier<ResponseCache> cache) {
        this.counters = counters;
        this.upstream = upstream;
        this.cache = cache;
    }

    /** Client queries waiting for an answer now. */
    int waiting() {
        return waiting.get();
    }

    /** Resolves {@code q} (already parsed, its key finished) for client {@code c}, or joins the same resolution. */
    void resolve(Snapshot s, WireQuery q, boolean synthesis, ClientQuery c) {
        if (waiting.incrementAndGet() > s.config.maxInFlight()) {
            drop(c);
            return;
        }
        for (int round = 0; round < 4; round++) {
            Transaction t = inflight.get(q.key);
            if (t != null) {
                int joined = t.join(c);
                if (joined > 0) {
                    counters.inc(Dns64Counter.COALESCED);
                    return;
                }
                if (joined < 0) {
                    drop(c);
                    return;
                }
                inflight.remove(t.key, t); // finished a moment ago: its answer may be cached now
                long now = System.nanoTime();
                WireAnswer a = cache.get().get(q.key, now);
                if (a != null) {
                    waiting.decrementAndGet();
                    deliver(c, a, s.udpSize, now);
                    return;
                }
            }
            CacheKey key = q.key.copy();
            t = new Transaction(s, key, synthesis, c);
            if (inflight.putIfAbsent(key, t) == null) {
                t.start();
                return;
            }
        }
        drop(c);
    }

    private void drop(ClientQuery c) {
        waiting.decrementAndGet();
        counters.inc(Dns64Counter.DROP_OVERLOAD);
        c.responder.done(c.to);
    }

    private void deliver(ClientQuery c, WireAnswer a, int udpSize, long now) {
        ByteBuffer out = buffers.get();
        int r = a.render(out, c.bytes, c.id, c.flags, c.edns, c.dnssecOk, c.limit, udpSize, now);
        count(r);
        c.responder.send(c.to, out);
        c.responder.done(c.to);
    }

    private void count(int renderResult) {
        counters.inc(Dns64Counter.forRcode(renderResult & 0xFF));
        if ((renderResult & WireAnswer.TRUNCATED) != 0) {
            counters.inc(Dns64Counter.TRUNCATED);
        }
    }

    private enum Phase { FORWARD, AAAA, A, PTR }

    /** One resolution: the steps of one client question, and the clients waiting for it. */
    private final class Transaction implements Upstream.Callback {
        final CacheKey key;
        private final Snapshot s;
        private final boolean synthesis;
        private final List<ClientQuery> waiters = new ArrayList<>(2);
        private boolean finished;
        private Message query;
        private Phase phase;
        private Message aaaa;
        private Name ptrTarget;

        Transaction(Snapshot s, CacheKey key, boolean synthesis, ClientQuery first) {
            this.s = s;
            this.key = key;
            this.synthesis = synthesis;
            waiters.add(first);
        }

        /** 1: joined; 0: already finished; -1: too many waiters. */
        synchronized int join(ClientQuery c) {
            if (finished) {
                return 0;
            }
            if (waiters.size() >= MAX_WAITERS) {
                return -1;
            }
            waiters.add(c);
            return 1;
        }

        void start() {
            ClientQuery first = waiters.get(0);
            try {
                query = new Message(first.bytes);
            } catch (IOException | RuntimeException e) {
                formErr();
                return;
            }
            Synthesizer.Plan plan;
            try {
                plan = s.synthesizer.plan(query, synthesis);
            } catch (RuntimeException e) {
                finishMessage(Synthesizer.response(query, Rcode.SERVFAIL), false);
                return;
            }
            Record q = query.getQuestion();
            int qnameLen = key.length() - 5;
            switch (plan.action()) {
                case ANSWER:
                    counters.inc(Dns64Counter.LOCAL_ANSWERS);
                    finishMessage(plan.answer(), true);
                    return;
                case SYNTHESIZE_AAAA:
                    phase = Phase.AAAA;
                    upstream.query(key.bytes, qnameLen, Type.AAAA, q.getDClass(), first.dnssecOk, false, this);
                    return;
                case SYNTHESIZE_PTR:
                    phase = Phase.PTR;
                    ptrTarget = plan.ptrTarget();
                    byte[] target = ptrTarget.toWireCanonical();
                    upstream.query(target, target.length, Type.PTR, q.getDClass(), first.dnssecOk, false, this);
                    return;
                default:
                    phase = Phase.FORWARD;
                    upstream.query(key.bytes, qnameLen, q.getType(), q.getDClass(), first.dnssecOk,
                            (first.flags & Wire.FLAG_CD) != 0, this);
            }
        }

        @Override
        public void onAnswer(byte[] msg, int len) {
            try {
                switch (phase) {
                    case FORWARD:
                        finishRaw(msg, len);
                        return;
                    case AAAA: {
                        Message m = parse(msg);
                        Synthesizer.AaaaStep step = s.synthesizer.afterAaaa(query, m);
                        if (step.verdict() == Synthesizer.AaaaVerdict.PASS) {
                            finishRaw(msg, len);
                        } else if (step.verdict() == Synthesizer.AaaaVerdict.ANSWER) {
                            counters.inc(Dns64Counter.EXCLUDED_AAAA);
                            finishMessage(step.response(), true);
                        } else {
                            queryA(m);
                        }
                        return;
                    }
                    case A:
                        finishOutcome(s.synthesizer.afterA(query, aaaa, parse(msg)), Dns64Counter.SYNTHESIZED);
                        return;
                    default:
                        finishOutcome(s.synthesizer.afterPtr(query, ptrTarget, parse(msg)), Dns64Counter.SYNTHESIZED_PTR);
                }
            } catch (RuntimeException e) {
                // A bug or an answer dnsjava cannot take: the client still gets an answer.
                counters.inc(Dns64Counter.UPSTREAM_ERRORS);
                finishMessage(Synthesizer.response(query, Rcode.SERVFAIL), false);
            }
        }

        @Override
        public void onFailure(boolean timeout) {
            try {
                switch (phase) {
                    case FORWARD:
                        finishMessage(Synthesizer.response(query, Rcode.SERVFAIL), false);
                        return;
                    case AAAA:
                        queryA(null); // RFC 6147 §5.1.3: a timed-out AAAA query counts as empty
                        return;
                    case A:
                        finishOutcome(s.synthesizer.afterA(query, aaaa, null), Dns64Counter.SYNTHESIZED);
                        return;
                    default:
                        finishOutcome(s.synthesizer.afterPtr(query, ptrTarget, null), Dns64Counter.SYNTHESIZED_PTR);
                }
            } catch (RuntimeException e) {
                finishMessage(Synthesizer.response(query, Rcode.SERVFAIL), false);
            }
        }

        private void queryA(Message aaaaResponse) {
            aaaa = aaaaResponse;
            phase = Phase.A;
            ClientQuery first = waiters.get(0);
            upstream.query(key.bytes, key.length() - 5, Type.A, query.getQuestion().getDClass(), first.dnssecOk,
                    false, this);
        }

        private Message parse(byte[] msg) {
            try {
                return new Message(msg);
            } catch (IOException | RuntimeException e) {
                counters.inc(Dns64Counter.UPSTREAM_ERRORS);
                return null; // a broken answer is no answer
            }
        }

        /** The upstream's answer as it is, without its OPT record. */
        private void finishRaw(byte[] msg, int len) {
            long now = System.nanoTime();
            WireAnswer a = WireAnswer.of(msg, len, now, s.maxTtlSeconds, true);
            if (a == null) {
                Message m = parse(msg);
                if (m == null) {
                    finishMessage(Synthesizer.response(query, Rcode.SERVFAIL), false);
                    return;
                }
                // A fresh header: a copied one would keep its section counts, and addRecord counts again.
                Message clean = new Message(m.getHeader().getID());
                Header h = clean.getHeader();
                for (int f : new int[] {Flags.QR, Flags.AA, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
                    if (m.getHeader().getFlag(f)) {
                        h.setFlag(f);
                    }
                }
                h.setOpcode(m.getHeader().getOpcode());
                h.setRcode(m.getRcode() > 15 ? Rcode.SERVFAIL : m.getRcode());
                for (int sec : new int[] {Section.QUESTION, Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
                    for (Record r : m.getSection(sec)) {
                        if (r.getType() != Type.OPT) {
                            clean.addRecord(r, sec);
                        }
                    }
                }
                byte[] w = clean.toWire();
                a = WireAnswer.of(w, w.length, now, s.maxTtlSeconds, true);
                if (a == null) {
                    finishMessage(Synthesizer.response(query, Rcode.SERVFAIL), false);
                    return;
                }
            }
            finish(a);
        }

        private void finishOutcome(Synthesizer.Outcome o, Dns64Counter synthesized) {
            if (o.synthesized()) {
                counters.inc(synthesized);
            }
            finishMessage(o.response(), o.cacheable());
        }

        private void finishMessage(Message m, boolean cacheable) {
            byte[] w = m.toWire();
            WireAnswer a = WireAnswer.of(w, w.length, System.nanoTime(), s.maxTtlSeconds, cacheable);
            if (a == null) {
                formErr(); // cannot happen for messages we built; never leave clients waiting
                return;
            }
            finish(a);
        }

        private List<ClientQuery> close() {
            List<ClientQuery> ws;
            synchronized (this) {
                finished = true;
                ws = new ArrayList<>(waiters);
            }
            inflight.remove(key, this);
            waiting.addAndGet(-ws.size());
            return ws;
        }

        private void finish(WireAnswer a) {
            ResponseCache c = cache.get();
            if (a.cacheable) {
                c.put(key, a);
            }
            long now = System.nanoTime();
            for (ClientQuery w : close()) {
                deliver(w, a, s.udpSize, now);
            }
        }

        private void formErr() {
            ByteBuffer out = buffers.get();
            for (ClientQuery w : close()) {
                WireQuery.writeError(out, w.bytes, w.id, w.flags, true, w.questionEnd, w.edns, w.dnssecOk, Rcode.FORMERR,
                        s.udpSize);
                counters.inc(Dns64Counter.RESPONSES_FORMERR);
                w.responder.send(w.to, out);
                w.responder.done(w.to);
            }
        }
    }
}
