package io.xlatbox.appliance.system;

import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.config.FieldError;
import io.xlatbox.appliance.config.InvalidConfigException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Backup and restore of the whole configuration. */
@Service
public class BackupService {
    private final ConfigService configs;
    private final List<BackupParticipant> participants;
    private final TransactionTemplate tx;

    public BackupService(ConfigService configs, List<BackupParticipant> participants,
                         PlatformTransactionManager txManager) {
        this.configs = configs;
        this.participants = participants;
        this.tx = new TransactionTemplate(txManager);
    }

    /** Something besides the network configuration that belongs in a backup (accounts, tokens). */
    public interface BackupParticipant {
        /** Fills its part of the document. */
        BackupDocument export(BackupDocument doc);

        /** Checks its part; adds errors, changes nothing. */
        void validate(BackupDocument doc, List<FieldError> errors);

        /** Replaces its state with the document's (called inside the restore). */
        void restore(BackupDocument doc);
    }

    /** Everything wrong with a backup document, each with its path in the document; changes nothing. */
    public List<FieldError> check(BackupDocument doc) {
        List<FieldError> errors = new ArrayList<>();
        if (doc == null) {
            errors.add(new FieldError("", "no backup document"));
            return errors;
        }
        if (!BackupDocument.FORMAT.equals(doc.format())) {
            errors.add(new FieldError("format", "not an xlatbox backup (format must be '" + BackupDocument.FORMAT
                    + "')"));
        }
        if (doc.formatVersion() < 1 || doc.formatVersion() > BackupDocument.FORMAT_VERSION) {
            errors.add(new FieldError("formatVersion", "unsupported backup format version " + doc.formatVersion()));
        }
        if (doc.config() == null) {
            errors.add(new FieldError("config", "missing"));
        } else {
            configs.preview(doc.config()).errors()
                    .forEach(e -> errors.add(new FieldError("config." + e.field(), e.message())));
        }
        for (BackupParticipant p : participants) {
            p.validate(doc, errors);
        }
        return errors;
    }

    public BackupDocument backup() {
        ConfigService.Active a = configs.active();
        BackupDocument doc = new BackupDocument(BackupDocument.FORMAT, BackupDocument.FORMAT_VERSION,
                OffsetDateTime.now(), a.version(), a.config(), List.of(), List.of());
        for (BackupParticipant p : participants) {
            doc = p.export(doc);
        }
        return doc;
    }

    /** Validates the whole document, then applies it as a new configuration version. */
    public ConfigService.Applied restore(BackupDocument doc, long ifMatch, String author) {
        List<FieldError> errors = check(doc);
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        // One transaction for all of it: a participant that fails rolls the configuration back too (and the
        // dataplane with it, see ConfigService.apply).
        return tx.execute(status -> {
            ConfigService.Applied applied = configs.apply(doc.config(), ifMatch, author,
                    "restored from a backup of configuration version " + doc.configVersion());
            for (BackupParticipant p : participants) {
                p.restore(doc);
            }
            return applied;
        });
    }
}
