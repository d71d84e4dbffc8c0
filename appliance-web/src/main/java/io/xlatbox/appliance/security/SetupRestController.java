package io.xlatbox.appliance.security;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** First-boot setup for automation (and the image's smoke test): the same as the /setup page, in JSON. */
@RestController
@RequestMapping("/api/v1/setup")
@Tag(name = "security")
@SecurityRequirements // public: the setup code is the credential
public class SetupRestController {
    private final SetupService setup;

    public SetupRestController(SetupService setup) {
        this.setup = setup;
    }

    public record SetupState(boolean setupRequired) {
    }

    public record SetupRequest(String setupCode, String username, String password) {
    }

    public record SetupDone(String username) {
    }

    @GetMapping
    @Operation(summary = "Whether the admin account still has to be created")
    public SetupState state() {
        return new SetupState(setup.required());
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Create the admin account with the setup code printed on the console (once only)")
    public SetupDone complete(@RequestBody SetupRequest body, HttpServletRequest req) {
        setup.complete(body.setupCode(), body.username(), body.password(), req.getRemoteAddr());
        return new SetupDone(body.username());
    }
}
