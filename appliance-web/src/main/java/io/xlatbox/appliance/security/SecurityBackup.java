package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import io.xlatbox.appliance.system.BackupDocument;
import io.xlatbox.appliance.system.BackupService;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accounts and API tokens in backups, as hashes only. A restore replaces them; a document without
 * {@code accounts} (or without {@code tokens}) keeps the current ones. Only bcrypt password hashes and SHA-256
 * token hashes are accepted, so a backup cannot bring in a plain-text password.
 */
@Component
public class SecurityBackup implements BackupService.BackupParticipant {
    static final Pattern BCRYPT = Pattern.compile("\\{bcrypt}\\$2[aby]\\$(1\\d|2\\d|3[01])\\$[./A-Za-z0-9]{53}");
    static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final AccountService accounts;
    private final TokenService tokens;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    public SecurityBackup(AccountService accounts, TokenService tokens, AuditLog audit,
                          PlatformTransactionManager txManager) {
        this.accounts = accounts;
        this.tokens = tokens;
        this.audit = audit;
        this.tx = new TransactionTemplate(txManager);
    }

    @Override
    public BackupDocument export(BackupDocument doc) {
        return new BackupDocument(doc.format(), doc.formatVersion(), doc.createdAt(), doc.configVersion(),
                doc.config(),
                accounts.all().stream().map(a -> new BackupDocument.Account(a.username(), a.passwordHash())).toList(),
                tokens.stored().stream().map(t -> new BackupDocument.Token(t.name(), t.scope(), t.tokenHash()))
                        .toList());
    }

    @Override
    public void validate(BackupDocument doc, List<FieldError> errors) {
        if (doc.accounts() != null) {
            if (doc.accounts().isEmpty()) {
                errors.add(new FieldError("accounts", "a backup must hold the admin account; leave 'accounts' out "
                        + "to keep the current one"));
            }
            Set<String> names = new HashSet<>();
            for (int i = 0; i < doc.accounts().size(); i++) {
                BackupDocument.Account a = doc.accounts().get(i);
                String at = "accounts[" + i + "]";
                if (a == null) {
                    errors.add(new FieldError(at, "missing"));
                    continue;
                }
                if (a.username() == null || !AccountService.USERNAME.matcher(a.username()).matches()) {
                    errors.add(new FieldError(at + ".username", "1 to 64 letters, digits, '.', '_' or '-'"));
                } else if (!names.add(a.username())) {
                    errors.add(new FieldError(at + ".username", "appears twice"));
                }
                if (a.passwordHash() == null || !BCRYPT.matcher(a.passwordHash()).matches()) {
                    errors.add(new FieldError(at + ".passwordHash", "not a {bcrypt} password hash"));
                }
            }
        }
        if (doc.tokens() != null) {
            if (doc.tokens().size() > TokenService.MAX_TOKENS) {
                errors.add(new FieldError("tokens", "at most " + TokenService.MAX_TOKENS + " tokens"));
            }
            Set<String> hashes = new HashSet<>();
            for (int i = 0; i < doc.tokens().size(); i++) {
                BackupDocument.Token t = doc.tokens().get(i);
                String at = "tokens[" + i + "]";
                if (t == null) {
                    errors.add(new FieldError(at, "missing"));
                    continue;
                }
                if (t.name() == null || t.name().isBlank() || t.name().length() > 100) {
                    errors.add(new FieldError(at + ".name", "1 to 100 characters"));
                }
                if (!TokenService.SCOPES.contains(t.scope())) {
                    errors.add(new FieldError(at + ".scope", "read or write"));
                }
                if (t.tokenHash() == null || !SHA256_HEX.matcher(t.tokenHash()).matches()) {
                    errors.add(new FieldError(at + ".tokenHash", "not a SHA-256 hash (64 lowercase hex digits)"));
                } else if (!hashes.add(t.tokenHash())) {
                    errors.add(new FieldError(at + ".tokenHash", "appears twice"));
                }
            }
        }
    }

    @Override
    public void restore(BackupDocument doc) {
        if (doc.accounts() == null && doc.tokens() == null) {
            return;
        }
        tx.executeWithoutResult(status -> {
            if (doc.accounts() != null) {
                accounts.replaceAll(doc.accounts().stream()
                        .map(a -> new AccountService.Account(a.username(), a.passwordHash())).toList());
            }
            if (doc.tokens() != null) {
                tokens.replaceAll(doc.tokens().stream()
                        .map(t -> new TokenService.StoredToken(t.name().strip(), t.scope(), t.tokenHash())).toList());
            }
        });
        audit.record(Actor.current(), AuditLog.RESTORE, "from a backup: "
                + (doc.accounts() == null ? "accounts kept" : doc.accounts().size() + " account(s)") + ", "
                + (doc.tokens() == null ? "tokens kept" : doc.tokens().size() + " token(s)"));
    }
}
