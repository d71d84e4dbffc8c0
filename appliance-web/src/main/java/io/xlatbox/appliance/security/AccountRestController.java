package io.xlatbox.appliance.security;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.security.Principal;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The logged-in admin's own account over REST; for the browser session only (SecurityConfig.SESSION_ONLY). */
@RestController
@RequestMapping("/api/v1/account")
@Tag(name = "security")
public class AccountRestController {
    private final AccountService accounts;

    public AccountRestController(AccountService accounts) {
        this.accounts = accounts;
    }

    public record PasswordChange(String currentPassword, String newPassword) {
    }

    @PutMapping("/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Change the logged-in admin's password; the other sessions are logged out",
            description = "Only with the browser session (cookie, and X-XSRF-TOKEN as for every API write): API "
                    + "tokens get 403. A wrong current password counts as a failed login.",
            responses = {
                @ApiResponse(responseCode = "204", description = "Changed"),
                @ApiResponse(responseCode = "403", description = "An API token, or the CSRF token is missing"),
                @ApiResponse(responseCode = "409", description = "The password changed meanwhile"),
                @ApiResponse(responseCode = "422", description = "Wrong current password or a weak new one: "
                        + "errors[] names currentPassword or newPassword"),
                @ApiResponse(responseCode = "429", description = "Locked after too many failures; see Retry-After")
            })
    public void changePassword(@RequestBody PasswordChange body, Principal user) {
        accounts.changePassword(user.getName(), body.currentPassword(), body.newPassword());
    }
}
