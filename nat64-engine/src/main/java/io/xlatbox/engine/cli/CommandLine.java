package io.xlatbox.engine.cli;

import io.xlatbox.engine.ConfigException;
import java.io.IOException;

/**
 * How the command-line tools (the NAT64 and DNS64 jars) end: a bad configuration or bad arguments exit 2 with the
 * reason (and the usage for arguments), a start that fails exits 1, never a stack trace.
 */
public final class CommandLine {
    /** The body of a tool's main. */
    @FunctionalInterface
    public interface Body {
        void run() throws IOException, InterruptedException;
    }

    private CommandLine() {
    }

    public static void run(String usage, Body body) {
        try {
            body.run();
        } catch (ConfigException e) {
            System.err.println("invalid configuration: " + e.getMessage());
            System.exit(2);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + usage);
            System.exit(2);
        } catch (IOException e) {
            System.err.println("cannot start: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
