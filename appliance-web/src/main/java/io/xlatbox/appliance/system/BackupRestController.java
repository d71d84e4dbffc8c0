package io.xlatbox.appliance.system;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.config.ETags;
import io.xlatbox.appliance.security.Actor;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Backup (download the whole configuration as one JSON document) and restore (upload it). */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "backup")
public class BackupRestController {
    private final BackupService backups;

    public BackupRestController(BackupService backups) {
        this.backups = backups;
    }

    @GetMapping("/backup")
    @Operation(summary = "The whole configuration as one JSON document")
    public ResponseEntity<BackupDocument> backup() {
        BackupDocument doc = backups.backup();
        return ResponseEntity.ok()
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        "attachment; filename=\"xlatbox-backup-v" + doc.configVersion() + ".json\"")
                .eTag(ETags.of(doc.configVersion()))
                .body(doc);
    }

    @PostMapping("/restore")
    @Operation(summary = "Validate a backup completely, then apply it as a new version (If-Match required)")
    public ResponseEntity<ConfigService.Applied> restore(
            @RequestHeader(value = "If-Match", required = false) String ifMatch, @RequestBody BackupDocument doc,
            HttpServletRequest req) {
        ConfigService.Applied a = backups.restore(doc, ETags.parseIfMatch(ifMatch), Actor.of(req));
        return ResponseEntity.ok().eTag(ETags.of(a.version())).body(a);
    }
}
