package io.xlatbox.appliance.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class SetupCodeTest {
    @Test
    void threeGroupsOfFourBase32Characters() {
        String code = SetupService.newCode(new SecureRandom());
        assertThat(code).matches("[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}");
        assertThat(SetupService.normalize(" abcd efgh-ijkl ")).isEqualTo("ABCDEFGHIJKL");
        assertThat(SetupService.newCode(new SecureRandom())).isNotEqualTo(code);
    }

    @Test
    void passwordPolicy() {
        assertThat(AccountService.check("admin", "correct horse battery")).isEmpty();
        assertThat(AccountService.check("admin", "elevenchars")).extracting("field").containsExactly("password");
        assertThat(AccountService.check("administrator", "Administrator")).extracting("message")
                .containsExactly("must not be the username");
        assertThat(AccountService.check("admin", "x".repeat(73))).extracting("message")
                .containsExactly("at most 72 bytes (UTF-8)");
        assertThat(AccountService.check("-admin", "correct horse battery")).extracting("field")
                .containsExactly("username");
    }
}
