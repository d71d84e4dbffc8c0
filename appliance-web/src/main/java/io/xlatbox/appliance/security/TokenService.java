package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * API tokens (table API_TOKEN). A token is {@code xlb_} and 32 random bytes in base64url; it is shown once and
 * only its SHA-256 is stored. A slow password hash is not needed: 256 random bits cannot be guessed, and a fast
 * hash keeps every API call cheap. Tokens authenticate {@code Authorization: Bearer} requests, with the authority
 * {@code SCOPE_read}, plus {@code SCOPE_write} for write tokens.
 */
@Service
public class TokenService {
    static final String PREFIX = "xlb_";
    static final int MAX_TOKENS = 100;
    static final List<String> SCOPES = List.of("read", "write");
    private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final SecureRandom random = new SecureRandom();
    /** When each token's LASTUSEDAT was last written: once a minute per token is enough. */
    private final Map<Long, Instant> lastUsedWritten = new ConcurrentHashMap<>();

    public TokenService(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    /** A token as listed: never its secret. */
    public record ApiToken(long id, String name, String scope, OffsetDateTime createdAt, OffsetDateTime lastUsedAt) {
    }

    /** A token just created: the only time its secret is seen. */
    public record CreatedToken(long id, String name, String scope, OffsetDateTime createdAt, String token) {
    }

    /** The hash stored for a token: SHA-256, lowercase hex. */
    public record StoredToken(String name, String scope, String tokenHash) {
    }

    public List<ApiToken> list() {
        return jdbc.sql("SELECT ID, NAME, SCOPE, CREATEDAT, LASTUSEDAT FROM API_TOKEN ORDER BY ID")
                .query((rs, i) -> new ApiToken(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getObject(4, OffsetDateTime.class), rs.getObject(5, OffsetDateTime.class)))
                .list();
    }

    @Transactional
    public CreatedToken create(String name, String scope, String actor) {
        String n = name == null ? "" : name.strip();
        List<FieldError> errors = new ArrayList<>();
        if (n.isEmpty() || n.length() > 100) {
            errors.add(new FieldError("name", "1 to 100 characters"));
        }
        if (!SCOPES.contains(scope)) {
            errors.add(new FieldError("scope", "read or write"));
        }
        if (jdbc.sql("SELECT COUNT(*) FROM API_TOKEN").query(Integer.class).single() >= MAX_TOKENS) {
            errors.add(new FieldError("name", "there are " + MAX_TOKENS + " tokens already; delete some first"));
        }
        if (!errors.isEmpty()) {
            throw SecurityProblem.invalid("The token request is not valid", errors);
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        OffsetDateTime now = OffsetDateTime.now();
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.sql("INSERT INTO API_TOKEN (NAME, SCOPE, TOKENHASH, CREATEDAT) VALUES (?, ?, ?, ?)")
                .params(n, scope, hash(token), now)
                .update(key, "ID");
        long id = key.getKey().longValue();
        audit.record(actor, AuditLog.TOKEN_CREATE, "token " + id + " '" + n + "' (" + scope + ")");
        return new CreatedToken(id, n, scope, now, token);
    }

    /** Deletes a token; false when there is none with this id. */
    public boolean delete(long id, String actor) {
        String name = jdbc.sql("SELECT NAME FROM API_TOKEN WHERE ID = ?").param(id).query(String.class).optional()
                .orElse(null);
        if (name == null || jdbc.sql("DELETE FROM API_TOKEN WHERE ID = ?").param(id).update() == 0) {
            return false;
        }
        lastUsedWritten.remove(id);
        audit.record(actor, AuditLog.TOKEN_DELETE, "token " + id + " '" + name + "'");
        return true;
    }

    /**
     * Finds the token by comparing its hash with every stored hash in constant time ({@link MessageDigest#isEqual}),
     * without stopping at the first match, so that the time taken says nothing about the stored hashes.
     */
    public Authentication authenticate(String token) {
        byte[] presented = hash(token).getBytes(StandardCharsets.US_ASCII);
        record Row(long id, String name, String scope, String hash) {
        }
        List<Row> rows = jdbc.sql("SELECT ID, NAME, SCOPE, TOKENHASH FROM API_TOKEN")
                .query((rs, i) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4))).list();
        Row match = null;
        for (Row r : rows) {
            if (MessageDigest.isEqual(presented, r.hash().getBytes(StandardCharsets.US_ASCII))) {
                match = r;
            }
        }
        if (match == null) {
            throw new BadCredentialsException("unknown or deleted API token");
        }
        touch(match.id());
        String[] authorities = "write".equals(match.scope())
                ? new String[] {SecurityConfig.READ, SecurityConfig.WRITE} : new String[] {SecurityConfig.READ};
        return UsernamePasswordAuthenticationToken.authenticated("token:" + match.name(), null,
                AuthorityUtils.createAuthorityList(authorities));
    }

    private void touch(long id) {
        Instant now = Instant.now();
        Instant last = lastUsedWritten.get(id);
        if (last == null || last.plus(LAST_USED_RESOLUTION).isBefore(now)) {
            lastUsedWritten.put(id, now);
            jdbc.sql("UPDATE API_TOKEN SET LASTUSEDAT = ? WHERE ID = ?").params(OffsetDateTime.now(), id).update();
        }
    }

    public List<StoredToken> stored() {
        return jdbc.sql("SELECT NAME, SCOPE, TOKENHASH FROM API_TOKEN ORDER BY ID")
                .query((rs, i) -> new StoredToken(rs.getString(1), rs.getString(2), rs.getString(3))).list();
    }

    /** Replaces every token with these (restore); runs inside the caller's transaction. */
    void replaceAll(List<StoredToken> tokens) {
        jdbc.sql("DELETE FROM API_TOKEN").update();
        lastUsedWritten.clear();
        for (StoredToken t : tokens) {
            jdbc.sql("INSERT INTO API_TOKEN (NAME, SCOPE, TOKENHASH, CREATEDAT) VALUES (?, ?, ?, ?)")
                    .params(t.name(), t.scope(), t.tokenHash(), OffsetDateTime.now())
                    .update();
        }
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
