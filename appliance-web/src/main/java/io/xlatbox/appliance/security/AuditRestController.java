package io.xlatbox.appliance.security;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The audit log over REST, newest first, paged by entry id. */
@RestController
@RequestMapping("/api/v1/audit")
@Tag(name = "security")
public class AuditRestController {
    private final AuditLog audit;

    public AuditRestController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping
    @Operation(summary = "Audit entries older than 'before' (an entry id; default: the newest), newest first; "
            + "'next' is the 'before' of the next page")
    public AuditLog.Page page(@RequestParam(name = "before", defaultValue = "9223372036854775807") long before,
                              @RequestParam(name = "limit", defaultValue = "50") int limit) {
        return audit.page(before, limit);
    }
}
