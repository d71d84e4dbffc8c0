package io.xlatbox.appliance.security;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** API tokens over REST. The secret is in the answer to POST only; lists never carry it. */
@RestController
@RequestMapping("/api/v1/tokens")
@Tag(name = "security")
public class TokenRestController {
    private final TokenService tokens;

    public TokenRestController(TokenService tokens) {
        this.tokens = tokens;
    }

    /** @param scope {@code read} (GET only) or {@code write} */
    public record NewToken(String name, String scope) {
    }

    @GetMapping
    @Operation(summary = "The API tokens, without their secrets")
    public List<TokenService.ApiToken> list() {
        return tokens.list();
    }

    @PostMapping
    @Operation(summary = "Create a token; the answer holds the token, which is shown this once only")
    public ResponseEntity<TokenService.CreatedToken> create(@RequestBody NewToken body, HttpServletRequest req) {
        TokenService.CreatedToken t = tokens.create(body.name(), body.scope(), Actor.of(req));
        return ResponseEntity.created(URI.create("/api/v1/tokens/" + t.id())).body(t);
    }

    @DeleteMapping("/{id}")
    @Operation(summary = "Delete a token; it stops working at once")
    public ResponseEntity<Void> delete(@PathVariable("id") long id, HttpServletRequest req) {
        if (!tokens.delete(id, Actor.of(req))) {
            throw new SecurityProblem(HttpStatus.NOT_FOUND, "not-found", "Not found", "no API token " + id,
                    List.of(), null);
        }
        return ResponseEntity.noContent().build();
    }
}
