package io.xlatbox.engine.e2e;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * UDP flows from the client namespace to one IPv6 destination, kept open between commands (see
 * {@link Py#UDP_FLOWS}): each flow is a connected socket with its own source port, so the NAT64 gives it its own
 * session (and, until it is dropped, its own pool4 port).
 */
final class UdpFlows implements AutoCloseable {
    /** One flow and what its last probe gave: OK, TIMEOUT or "ERR EACCES" and the like. */
    record Flow(int index, String source, int sourcePort, String result) {
        boolean ok() {
            return result.equals("OK");
        }
    }

    private final Lab.Background tool;
    private int seq;

    UdpFlows(Lab lab, String destination, int port) throws IOException {
        tool = lab.spawnPython(lab.client, Py.UDP_FLOWS, destination, Integer.toString(port));
    }

    /** Opens {@code n} flows from {@code source} and probes each once. */
    List<Flow> open(String source, int n) throws IOException {
        return command("open " + source + " " + n, Duration.ofSeconds(10 + 4L * n));
    }

    /** Probes every open flow again. */
    List<Flow> echo(int expected) throws IOException {
        return command("echo", Duration.ofSeconds(10 + 4L * expected));
    }

    private List<Flow> command(String cmd, Duration timeout) throws IOException {
        int s = ++seq;
        tool.send(s + " " + cmd);
        tool.awaitLine(l -> l.equals("END " + s), timeout, "'" + cmd + "' to finish");
        List<Flow> flows = new ArrayList<>();
        boolean in = false;
        for (String line : tool.lines()) {
            if (line.equals("BEGIN " + s)) {
                in = true;
            } else if (line.equals("END " + s)) {
                break;
            } else if (in && line.startsWith("FLOW ")) {
                String[] w = line.split(" ", 5);
                flows.add(new Flow(Integer.parseInt(w[1]), w[2], Integer.parseInt(w[3]), w[4]));
            }
        }
        return flows;
    }

    String describe() {
        return tool.describe();
    }

    @Override
    public void close() {
        try {
            tool.send("0 quit");
        } catch (IOException ignored) {
            // it is gone already
        }
        tool.waitFor(Duration.ofSeconds(2));
        tool.close();
    }
}
