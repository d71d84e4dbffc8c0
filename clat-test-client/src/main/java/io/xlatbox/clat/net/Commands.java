package io.xlatbox.clat.net;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command with a timeout, stdin from /dev/null, stdout and stderr into temporary files: nothing can block
 * on a full pipe, and a command that hangs is killed (with its children) when its time is up.
 */
public final class Commands {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private Commands() {
    }

    /** What a command did. */
    public record Result(List<String> command, int exit, String stdout, String stderr) {
        public boolean ok() {
            return exit == 0;
        }

        /** "`cmd` failed (exit 2): stderr" for messages. */
        public String describe() {
            String err = (stderr.isBlank() ? stdout : stderr).trim();
            return "`" + String.join(" ", command) + "` " + (exit == -1 ? "timed out" : "failed (exit " + exit + ")")
                    + (err.isEmpty() ? "" : ": " + err);
        }
    }

    public static Result run(Duration timeout, String... command) throws IOException {
        return run(timeout, Arrays.asList(command));
    }

    public static Result run(Duration timeout, List<String> command) throws IOException {
        Path out = Files.createTempFile("xlatbox-clat-", ".out");
        Path err = Files.createTempFile("xlatbox-clat-", ".err");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
            } catch (IOException e) {
                throw new IOException("cannot run '" + command.get(0) + "': " + e.getMessage()
                        + (command.get(0).equals("ip") ? " (is iproute2 installed?)" : ""), e);
            }
            int exit;
            try {
                if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    exit = p.exitValue();
                } else {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    exit = -1;
                }
            } catch (InterruptedException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + String.join(" ", command), e);
            }
            return new Result(List.copyOf(command), exit, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** {@code ip netns exec NS command...}, or the command itself when {@code namespace} is null. */
    public static List<String> inNamespace(String namespace, String... command) {
        List<String> argv = new ArrayList<>();
        if (namespace != null && !namespace.isEmpty()) {
            argv.addAll(List.of("ip", "netns", "exec", namespace));
        }
        argv.addAll(Arrays.asList(command));
        return argv;
    }
}
