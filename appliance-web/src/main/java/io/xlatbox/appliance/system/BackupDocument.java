package io.xlatbox.appliance.system;

import io.xlatbox.appliance.config.ApplianceConfig;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A backup: the whole configuration as one JSON document. Restoring validates all of it before anything is
 * applied. Accounts and API tokens travel as hashes only.
 *
 * @param format        always {@value #FORMAT}
 * @param formatVersion the document layout; restores accept this one and older
 */
public record BackupDocument(String format, int formatVersion, OffsetDateTime createdAt, long configVersion,
                             ApplianceConfig config, List<Account> accounts, List<Token> tokens) {
    public static final String FORMAT = "xlatbox-backup";
    public static final int FORMAT_VERSION = 1;

    public record Account(String username, String passwordHash) {
    }

    public record Token(String name, String scope, String tokenHash) {
    }
}
