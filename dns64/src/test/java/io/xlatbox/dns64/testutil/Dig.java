package io.xlatbox.dns64.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the real {@code dig} (ISC BIND dnsutils) against a server on loopback and reads its output. Without dig the
 * calling test is skipped, except under CI=true, where it fails: CI must not pass without running these tests.
 */
public final class Dig {
    /** One record line of an answer: owner, TTL, class, type, and the RDATA text. */
    public record Rr(String name, long ttl, String dclass, String type, String data) {
    }

    /** What dig printed, parsed. */
    public record Result(String status, Set<String> flags, List<Rr> answer, List<Rr> authority, List<Rr> additional,
                         boolean edns, int ednsUdp, String ednsFlags, String raw) {
        public List<String> data(String type) {
            return answer.stream().filter(r -> r.type().equals(type)).map(Rr::data).toList();
        }

        public boolean has(String flag) {
            return flags.contains(flag);
        }
    }

    private static volatile String path;

    private Dig() {
    }

    /** Skips (or under CI=true fails) the calling test when dig is not installed. */
    public static void require() {
        if (find() != null) {
            return;
        }
        String reason = "dig is not installed (apt-get install dnsutils)";
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(reason + " (CI=true: failing instead of skipping)");
        }
        Assumptions.abort(reason);
    }

    private static String find() {
        if (path == null) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                Path p = Path.of(dir, "dig");
                if (Files.isExecutable(p)) {
                    path = p.toString();
                    break;
                }
            }
        }
        return path;
    }

    /** {@code dig -p PORT @127.0.0.1 +time=3 +tries=1 ARGS...}. */
    public static Result query(int port, String... args) {
        return queryAt("127.0.0.1", port, args);
    }

    /** {@code dig -p PORT @SERVER +time=3 +tries=1 ARGS...}. */
    public static Result queryAt(String server, int port, String... args) {
        return queryIn(null, server, port, args);
    }

    /** As {@link #queryAt}, from inside a network namespace ({@code ip netns exec}); null: this one. */
    public static Result queryIn(String namespace, String server, int port, String... args) {
        require();
        List<String> cmd = new ArrayList<>();
        if (namespace != null) {
            cmd.addAll(List.of("ip", "netns", "exec", namespace));
        }
        cmd.addAll(List.of(find(), "-p", Integer.toString(port), "@" + server, "+time=3", "+tries=1", "+nocookie"));
        cmd.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("dig did not finish: " + cmd);
            }
            return parse(new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run dig", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Result parse(String raw) {
        String status = null;
        Set<String> flags = new HashSet<>();
        List<Rr> answer = new ArrayList<>();
        List<Rr> authority = new ArrayList<>();
        List<Rr> additional = new ArrayList<>();
        boolean edns = false;
        int udp = 0;
        String ednsFlags = "";
        List<Rr> section = null;
        for (String line : raw.split("\n")) {
            String l = line.strip();
            if (l.startsWith(";; ->>HEADER<<-")) {
                int i = l.indexOf("status: ");
                status = l.substring(i + 8, l.indexOf(',', i));
            } else if (l.startsWith(";; flags:")) {
                String f = l.substring(9, l.indexOf(';', 9)).strip();
                if (!f.isEmpty()) {
                    flags.addAll(Arrays.asList(f.split("\\s+")));
                }
            } else if (l.startsWith("; EDNS:")) {
                edns = true;
                int i = l.indexOf("udp: ");
                udp = Integer.parseInt(l.substring(i + 5).strip());
                int f = l.indexOf("flags:");
                ednsFlags = l.substring(f + 6, l.indexOf(';', f)).strip();
            } else if (l.equals(";; ANSWER SECTION:")) {
                section = answer;
            } else if (l.equals(";; AUTHORITY SECTION:")) {
                section = authority;
            } else if (l.equals(";; ADDITIONAL SECTION:")) {
                section = additional;
            } else if (l.isEmpty() || l.startsWith(";")) {
                if (l.isEmpty()) {
                    section = null;
                }
            } else if (section != null) {
                String[] t = l.split("\\s+", 5);
                section.add(new Rr(t[0], Long.parseLong(t[1]), t[2], t[3], t.length > 4 ? t[4] : ""));
            }
        }
        return new Result(status, flags, answer, authority, additional, edns, udp, ednsFlags, raw);
    }
}
