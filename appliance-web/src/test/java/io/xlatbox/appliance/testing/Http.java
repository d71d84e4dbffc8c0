package io.xlatbox.appliance.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A browser-like client over real HTTP for the tests: its own cookie jar (java.net.CookieManager would drop Secure
 * cookies over http), no redirects followed, and every Set-Cookie header kept for checks of its attributes.
 */
public final class Http {
    private static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    public final String base;
    private final HttpClient client;
    public final Map<String, String> cookies = new LinkedHashMap<>();
    public final List<String> setCookies = new ArrayList<>();

    public Http(String base) {
        this(base, null);
    }

    public Http(String base, SSLContext ssl) {
        this.base = base;
        HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10));
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.client = b.build();
    }

    public HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, null, null, headers);
    }

    public HttpResponse<String> json(String method, String path, String body, String... headers) {
        return send(method, path, body, "application/json", headers);
    }

    public HttpResponse<String> form(String path, Map<String, String> fields, String... headers) {
        String body = fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send("POST", path, body, "application/x-www-form-urlencoded", headers);
    }

    /** A form post with the CSRF field of the page at {@code page}, as a browser would send it. */
    public HttpResponse<String> submit(String page, String action, Map<String, String> fields) {
        Map<String, String> all = new LinkedHashMap<>(fields);
        all.put("_csrf", csrfField(get(page).body()));
        return form(action, all);
    }

    public HttpResponse<String> send(String method, String path, String body, String contentType,
                                     String... headers) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            r.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        if (!cookies.isEmpty()) {
            r.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("; ")));
        }
        try {
            HttpResponse<String> res = client.send(r.build(), HttpResponse.BodyHandlers.ofString());
            for (String c : res.headers().allValues("Set-Cookie")) {
                setCookies.add(c);
                String nv = c.split(";", 2)[0];
                int eq = nv.indexOf('=');
                String name = nv.substring(0, eq).trim();
                String value = nv.substring(eq + 1).trim();
                if (value.isEmpty() || c.toLowerCase().contains("max-age=0")) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, value);
                }
            }
            return res;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The last Set-Cookie header for this cookie, with its attributes. */
    public String setCookie(String name) {
        for (int i = setCookies.size() - 1; i >= 0; i--) {
            if (setCookies.get(i).startsWith(name + "=")) {
                return setCookies.get(i);
            }
        }
        return null;
    }

    public static String csrfField(String html) {
        Matcher m = CSRF_FIELD.matcher(html);
        if (!m.find()) {
            throw new AssertionError("no _csrf field in the page:\n" + html);
        }
        return m.group(1);
    }

    public static String location(HttpResponse<?> res) {
        return res.headers().firstValue("Location").orElse(null);
    }
}
