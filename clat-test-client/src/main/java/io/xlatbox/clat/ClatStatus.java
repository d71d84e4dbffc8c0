package io.xlatbox.clat;

import io.xlatbox.clat.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A running CLAT's status file ({@code /run/xlatbox-clat/NS.json}, rewritten every 250 ms by {@link Clat}), as
 * {@code check} reads it: the addresses, the prefix and where it came from, and the translator's counters, so that
 * a failed check can say how many packets the CLAT saw and translated.
 */
public record ClatStatus(Map<String, Object> fields, boolean stale, String staleReason) {

    /** The status of the CLAT in {@code namespace}, or null when there is no status file. */
    public static ClatStatus read(Path dir, String namespace) {
        Path f = ClatConfig.statusFile(dir, namespace);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        Map<String, Object> m;
        try {
            m = Json.object(Json.parse(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            return new ClatStatus(Map.of(), true, "unreadable status file " + f + ": " + e.getMessage());
        }
        long pid = Json.number(m, "pid", -1);
        if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
            return new ClatStatus(m, true, "status file " + f + " left by process " + pid + ", which is gone");
        }
        return new ClatStatus(m, false, null);
    }

    public String get(String key) {
        return Json.string(fields, key);
    }

    public long number(String key) {
        return Json.number(fields, key, -1);
    }

    /** A translator counter (by its JSON key, e.g. "receivedIpv4"), 0 when absent. */
    public long counter(String key) {
        Object c = fields.get("counters");
        return c instanceof Map<?, ?> ? Json.number(Json.object(c), key, 0) : 0;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> counters() {
        Object c = fields.get("counters");
        return c instanceof Map<?, ?> ? (Map<String, Object>) c : Map.of();
    }
}
