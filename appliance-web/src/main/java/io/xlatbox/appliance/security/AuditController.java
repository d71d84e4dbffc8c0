package io.xlatbox.appliance.security;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The audit log page: 50 entries at a time, newest first, with a link to older ones. */
@Controller
public class AuditController {
    private final AuditLog audit;

    public AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("/audit")
    public String page(@RequestParam(name = "before", defaultValue = "9223372036854775807") long before,
                       Model model) {
        model.addAttribute("page", audit.page(before, 50));
        return "audit";
    }
}
