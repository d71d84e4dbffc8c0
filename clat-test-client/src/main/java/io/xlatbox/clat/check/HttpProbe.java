package io.xlatbox.clat.check;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A minimal HTTP/1.1 GET over a plain socket (the socket must be created on a thread inside the client namespace,
 * which is why this is not java.net.http): connect, request with Connection: close, read the status line, headers
 * and exactly Content-Length bytes, optionally hashing them with SHA-256. Timings are taken at connect, first
 * byte and end.
 */
final class HttpProbe {
    private HttpProbe() {
    }

    /**
     * @param status        HTTP status code
     * @param contentLength the Content-Length header, or -1
     * @param bytes         body bytes read
     * @param head          the first bytes of the body (up to 4 KiB)
     * @param sha256        the body's SHA-256 in hex, when asked for
     */
    record Response(int status, String reason, long contentLength, long bytes, byte[] head, String sha256,
                    double connectMillis, double firstByteMillis, double totalMillis) {
        String headText() {
            return new String(head, StandardCharsets.UTF_8);
        }
    }

    /** Thrown when the connection ends early; says how far it got. */
    static final class Truncated extends IOException {
        private static final long serialVersionUID = 1L;
        final long bytes;

        Truncated(String message, long bytes) {
            super(message);
            this.bytes = bytes;
        }
    }

    /**
     * GETs {@code path} from {@code server}. {@code register} receives the socket as soon as it exists (so that a
     * supervisor can close it to abort); each read waits at most {@code readTimeoutMillis}.
     */
    static Response get(InetSocketAddress server, String path, int connectTimeoutMillis, int readTimeoutMillis,
                        boolean digest, Consumer<Socket> register) throws IOException {
        MessageDigest md = null;
        if (digest) {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            register.accept(s);
            s.setReceiveBufferSize(1 << 20);
            s.connect(server, connectTimeoutMillis);
            long tConnect = System.nanoTime();
            s.setSoTimeout(readTimeoutMillis);
            String host = io.xlatbox.clat.net.Endpoints.text(server.getAddress());
            String hostHeader = host.contains(":") ? "[" + host + "]" : host;
            if (server.getPort() != 80) {
                hostHeader += ":" + server.getPort();
            }
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: xlatbox-clat-check\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
            String statusLine = line(in);
            long tFirst = System.nanoTime();
            if (statusLine == null) {
                throw new Truncated("the server closed the connection without answering", 0);
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP response: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            long contentLength = -1;
            while (true) {
                String h = line(in);
                if (h == null) {
                    throw new Truncated("the connection ended inside the headers", 0);
                }
                if (h.isEmpty()) {
                    break;
                }
                int colon = h.indexOf(':');
                if (colon > 0 && h.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                    contentLength = Long.parseLong(h.substring(colon + 1).trim());
                }
            }
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            long got = 0;
            while (contentLength < 0 || got < contentLength) {
                int want = contentLength < 0 ? buf.length : (int) Math.min(buf.length, contentLength - got);
                int n;
                try {
                    n = in.read(buf, 0, want);
                } catch (SocketTimeoutException e) {
                    throw new Truncated("no data for " + readTimeoutMillis + " ms after " + got + " of "
                            + (contentLength < 0 ? "?" : contentLength) + " bytes", got);
                }
                if (n < 0) {
                    if (contentLength < 0) {
                        break;
                    }
                    throw new Truncated("the connection ended after " + got + " of " + contentLength + " bytes", got);
                }
                if (md != null) {
                    md.update(buf, 0, n);
                }
                if (head.size() < 4096) {
                    head.write(buf, 0, Math.min(n, 4096 - head.size()));
                }
                got += n;
            }
            long tEnd = System.nanoTime();
            return new Response(status, parts.length > 2 ? parts[2] : "", contentLength, got, head.toByteArray(),
                    md == null ? null : HexFormat.of().formatHex(md.digest()), (tConnect - t0) / 1e6,
                    (tFirst - t0) / 1e6, (tEnd - t0) / 1e6);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return sb.length() == 0 ? null : sb.toString();
            }
            if (c == '\n') {
                int end = sb.length();
                if (end > 0 && sb.charAt(end - 1) == '\r') {
                    sb.setLength(end - 1);
                }
                return sb.toString();
            }
            if (sb.length() > 8192) {
                throw new IOException("HTTP header line too long");
            }
            sb.append((char) c);
        }
    }
}
