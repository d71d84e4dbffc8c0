package io.xlatbox.engine.tun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests that need root: CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_NET_RAW (TUNSETIFF, setns, {@code ip netns},
 * raw sockets), /dev/net/tun, the {@code ip} command and python3 (the labs' services). Without them the test class is skipped with the reason, except under CI=true,
 * where the same reason fails it: CI runs as root and must not pass by skipping.
 */
public final class RootRequirement implements ExecutionCondition {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;
    /** Raw sockets: ping, and the CLAT's router solicitations. */
    private static final int CAP_NET_RAW = 13;
    /** What is missing, found once per JVM; empty when nothing is. */
    private static volatile String missing;

    /** Disables each test (reported as skipped, with the reason) unless everything is there; fails under CI. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = reason();
        if (reason == null) {
            return ConditionEvaluationResult.enabled("root, namespaces and /dev/net/tun are available");
        }
        if (ci()) {
            // An exception from a condition fails the test instead of skipping it.
            throw new IllegalStateException(reason + " (CI=true: failing instead of skipping)");
        }
        return ConditionEvaluationResult.disabled(reason);
    }

    /** For use inside a test: skips (or, with CI=true, fails) it unless everything is there. */
    public static void check() {
        String reason = reason();
        if (reason == null) {
            return;
        }
        if (ci()) {
            throw new IllegalStateException(reason + " (CI=true: failing instead of skipping)");
        }
        Assumptions.abort(reason);
    }

    private static boolean ci() {
        return "true".equals(System.getenv("CI"));
    }

    private static String reason() {
        String m = missing;
        if (m == null) {
            m = String.join("; ", missing());
            missing = m;
        }
        return m.isEmpty() ? null : "needs root, network namespaces and a TUN device: " + m;
    }

    /** What is missing, empty when nothing is. */
    static List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            missing.add("not Linux");
            return missing;
        }
        long uid = -1;
        long capEff = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Long.parseLong(line.split("\\s+")[2]); // real, effective, saved, fs
                } else if (line.startsWith("CapEff:")) {
                    capEff = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | RuntimeException e) {
            missing.add("cannot read /proc/self/status (" + e + ")");
        }
        if (uid != 0) {
            missing.add("effective uid is " + uid + ", not 0");
        }
        if ((capEff & (1L << CAP_NET_ADMIN)) == 0) {
            missing.add("no CAP_NET_ADMIN");
        }
        if ((capEff & (1L << CAP_SYS_ADMIN)) == 0) {
            missing.add("no CAP_SYS_ADMIN");
        }
        if ((capEff & (1L << CAP_NET_RAW)) == 0) {
            missing.add("no CAP_NET_RAW");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            missing.add("/dev/net/tun is missing (modprobe tun)");
        }
        if (ScratchNamespace.ipCommand() == null) {
            missing.add("no 'ip' command (apt-get install iproute2)");
        }
        if (!onPath("python3")) {
            missing.add("no 'python3' (apt-get install python3): the labs' services run on it");
        }
        return missing;
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
