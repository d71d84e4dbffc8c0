package io.xlatbox.clat.check;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one check.
 *
 * @param id        short stable name ("tcp4", "bulk4", ...), for scripts and --only
 * @param title     what was tried, for people
 * @param status    pass, fail or skip
 * @param millis    how long the check took
 * @param result    the measurement (latency, throughput, hops) or, on failure, what happened
 * @param cause     on failure or skip: why, and where the packet stopped
 * @param data      machine-readable numbers and facts
 */
public record CheckResult(String id, String title, Status status, long millis, String result, String cause,
                          Map<String, Object> data) {
    public enum Status { PASS, FAIL, SKIP }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("title", title);
        m.put("status", status);
        m.put("millis", millis);
        m.put("result", result);
        m.put("cause", cause);
        m.put("data", data);
        return m;
    }

    /** What a check body returns; the runner adds id, title and time. */
    public record Outcome(Status status, String result, String cause, Map<String, Object> data) {
        public static Outcome pass(String result, Map<String, Object> data) {
            return new Outcome(Status.PASS, result, null, data);
        }

        public static Outcome fail(String result, String cause, Map<String, Object> data) {
            return new Outcome(Status.FAIL, result, cause, data);
        }

        public static Outcome skip(String cause) {
            return new Outcome(Status.SKIP, "skipped", cause, Map.of());
        }
    }

    static Map<String, Object> data(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<String> lines(String s) {
        return s == null ? List.of() : List.of(s.split("\n"));
    }
}
