package io.xlatbox.appliance.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    /** A clock the test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final TestClock clock = new TestClock();
    final LoginThrottle throttle = new LoginThrottle(
            new SecurityProperties.Login(5, 10, Duration.ofMinutes(15), 100), clock);

    @Test
    void fiveFailuresLockTheAccountForFifteenMinutesFromAnyAddress() {
        for (int i = 1; i <= 4; i++) {
            LoginThrottle.Attempt f = throttle.attempt("admin", "192.0.2." + i);
            assertThat(f.attemptsLeft()).isEqualTo(5 - i);
            assertThat(f.accountLockedNow()).isFalse();
        }
        assertThat(throttle.lockedFor("admin", "192.0.2.1")).isEmpty();
        assertThat(throttle.attempt("ADMIN", "192.0.2.5").accountLockedNow()).isTrue(); // names fold case
        assertThat(throttle.lockedFor("admin", "198.51.100.7")).contains(Duration.ofMinutes(15));
        clock.now = clock.now.plus(Duration.ofMinutes(14));
        assertThat(throttle.lockedFor("admin", "198.51.100.7")).contains(Duration.ofMinutes(1));
        assertThat(LoginThrottle.minutes(Duration.ofSeconds(61))).isEqualTo("2 minutes");
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertThat(throttle.lockedFor("admin", "198.51.100.7")).isEmpty();
        assertThat(throttle.attempt("admin", "192.0.2.1").attemptsLeft()).isEqualTo(4); // a fresh count
    }

    @Test
    void successResetsAndOldFailuresAreForgotten() {
        throttle.attempt("admin", "192.0.2.1");
        throttle.attempt("admin", "192.0.2.1");
        throttle.succeeded("admin", "192.0.2.1");
        assertThat(throttle.attempt("admin", "192.0.2.1").attemptsLeft()).isEqualTo(4);
        clock.now = clock.now.plus(Duration.ofMinutes(16));
        assertThat(throttle.attempt("admin", "192.0.2.1").attemptsLeft()).isEqualTo(4);
    }

    @Test
    void anAddressIsBlockedAfterTenFailuresWhateverTheNamesAndIpv6CountsPerSlash64() {
        for (int i = 0; i < 9; i++) {
            assertThat(throttle.attempt("user" + i, "2001:db8:1:2::" + (i + 1)).addressLockedNow()).isFalse();
        }
        assertThat(throttle.addressFailed("2001:db8:1:2:ffff::1")).isTrue(); // a wrong setup code counts too
        assertThat(throttle.lockedFor("someone", "2001:db8:1:2::99")).isPresent();
        assertThat(throttle.lockedFor("someone", "2001:db8:1:3::1")).isEmpty();
        assertThat(throttle.lockedFor(null, "192.0.2.1")).isEmpty();
    }

    @Test
    void parallelGuessesCannotOvertakeTheCount() {
        // Five attempts in flight, none finished: the sixth is refused before any password is checked.
        for (int i = 0; i < 5; i++) {
            assertThat(throttle.attempt("admin", "192.0.2.1").refused()).isFalse();
        }
        assertThat(throttle.attempt("admin", "192.0.2.1").refused()).isTrue();
        // The fifth had the right password: its success lifts the lock it set.
        throttle.succeeded("admin", "192.0.2.1");
        assertThat(throttle.attempt("admin", "192.0.2.1").refused()).isFalse();
    }

    @Test
    void theTableIsBounded() {
        LoginThrottle small = new LoginThrottle(new SecurityProperties.Login(5, 10, Duration.ofMinutes(15), 3),
                clock);
        for (int i = 0; i < 5; i++) {
            small.attempt("admin", "192.0.2.1");
        }
        assertThat(small.lockedFor("admin", null)).isPresent();
        for (int i = 0; i < 1000; i++) {
            small.addressFailed("198.51.100." + (i % 250));
        }
        // The least recently used counters went; the table never held more than three.
        assertThat(small.lockedFor("admin", null)).isEmpty();
    }
}
