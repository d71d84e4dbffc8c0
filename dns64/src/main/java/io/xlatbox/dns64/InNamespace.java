package io.xlatbox.dns64;

import io.xlatbox.engine.tun.NetNamespace;
import java.io.IOException;
import java.util.concurrent.Callable;

/**
 * Where the DNS64's sockets live: a named network namespace (the lab's router), or the process's own when the
 * name is empty. A socket belongs to the namespace of the thread that opens it, so every socket is opened through
 * here, and the threads that open sockets later (upstream lanes rotating theirs, TCP fallback) run inside.
 */
final class InNamespace {
    private final String namespace;

    InNamespace(String namespace) {
        this.namespace = namespace == null || namespace.isBlank() ? null : namespace;
    }

    <T> T call(IoCallable<T> action) throws IOException {
        if (namespace == null) {
            return action.call();
        }
        try {
            return NetNamespace.callIn(namespace, (Callable<T>) action::call);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** {@code body} as a thread body that runs inside the namespace. */
    Runnable thread(Runnable body) {
        if (namespace == null) {
            return body;
        }
        return () -> {
            try {
                call(() -> {
                    body.run();
                    return null;
                });
            } catch (IOException e) {
                throw new IllegalStateException("DNS64 thread cannot enter network namespace " + namespace, e);
            }
        };
    }

    @FunctionalInterface
    interface IoCallable<T> {
        T call() throws IOException;
    }
}
