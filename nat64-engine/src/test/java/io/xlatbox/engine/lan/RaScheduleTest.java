package io.xlatbox.engine.lan;

import static io.xlatbox.engine.lan.RaSchedule.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** RFC 4861 §6.2.4 and §6.2.6 timing, on a clock the test moves. */
class RaScheduleTest {
    private static final long LINK_LOCAL = 0xfe80_0000_0000_0000L;
    private final RaConfig config = RaConfig.builder().interfaceName("lan0").lanPrefix("2001:db8:1::/64")
            .maxRtrAdvInterval(600).build(); // min 198 s
    private long seed = new SplittableRandom().nextLong();

    @RepeatedTest(20)
    void firstAdvertisementAtOnceThenThreeWithinSixteenSecondsThenBetweenMinAndMax() {
        RaSchedule s = new RaSchedule(new SplittableRandom(seed), config, 0);
        long now = 0;
        assertTrue(s.multicastDue(now));
        for (int i = 0; i < 10; i++) {
            s.multicastSent(now);
            long interval = s.nextDeadline() - now;
            if (i < RaSchedule.MAX_INITIAL_RTR_ADVERTISEMENTS) {
                assertEquals(16 * SECOND, interval, "seed " + seed); // min is 198 s: always capped
            } else {
                assertTrue(interval >= 198 * SECOND && interval <= 600 * SECOND, interval + " seed " + seed);
            }
            assertFalse(s.multicastDue(now + interval - 1));
            now += interval;
            assertTrue(s.multicastDue(now));
        }
        s.reconfigure(config, now + 5);
        assertTrue(s.multicastDue(now + 5));
        s.multicastSent(now + 5);
        assertEquals(16 * SECOND, s.nextDeadline() - now - 5);
    }

    @Test
    void initialIntervalsBelowSixteenSecondsStayRandom() {
        RaConfig fast = config.toBuilder().maxRtrAdvInterval(10).minRtrAdvInterval(null).build(); // 3..10 s
        RaSchedule s = new RaSchedule(new SplittableRandom(seed), fast, 0);
        for (int i = 0; i < 50; i++) {
            s.multicastSent(0);
            long interval = s.nextDeadline();
            assertTrue(interval >= 3 * SECOND && interval <= 10 * SECOND, "" + interval);
        }
    }

    @Test
    void linkLocalSolicitationIsAnsweredByUnicastWithinHalfASecond() {
        RaSchedule s = new RaSchedule(new SplittableRandom(seed), config, 0);
        s.multicastSent(0);
        long now = 5 * SECOND;
        s.solicited(now, LINK_LOCAL, 0x42);
        s.solicited(now + 1, LINK_LOCAL, 0x42); // the same host again: one answer
        assertEquals(1, s.pendingUnicast());
        assertTrue(s.nextDeadline() - now <= RaSchedule.MAX_RA_DELAY_TIME);
        RaSchedule.Destination d = s.takeDueUnicast(now + RaSchedule.MAX_RA_DELAY_TIME);
        assertNotNull(d);
        assertEquals(new RaSchedule.Destination(LINK_LOCAL, 0x42), d);
        assertNull(s.takeDueUnicast(now + SECOND));
        assertFalse(s.multicastDue(now + SECOND));
    }

    @Test
    void solicitationFromUnspecifiedIsAnsweredByMulticastNoSoonerThanThreeSecondsAfterTheLast() {
        RaSchedule s = new RaSchedule(new SplittableRandom(seed), config, 0);
        s.multicastSent(0);
        s.solicited(SECOND, 0, 0);
        long due = s.nextDeadline();
        assertTrue(due >= RaSchedule.MIN_DELAY_BETWEEN_RAS
                && due <= RaSchedule.MIN_DELAY_BETWEEN_RAS + RaSchedule.MAX_RA_DELAY_TIME, "" + due);
        assertEquals(0, s.pendingUnicast());

        s.multicastSent(due);
        long later = due + 10 * SECOND;
        s.solicited(later, 0x2001_0db8_0000_0001L, 5); // global source: multicast too, only the random delay
        assertTrue(s.nextDeadline() - later <= RaSchedule.MAX_RA_DELAY_TIME);
    }

    @Test
    void aMulticastAnswersEveryoneAndTooManyPendingFallBackToMulticast() {
        RaSchedule s = new RaSchedule(new SplittableRandom(seed), config, 0);
        s.multicastSent(0);
        long now = 10 * SECOND;
        for (int i = 0; i < RaSchedule.MAX_PENDING_UNICAST; i++) {
            s.solicited(now, LINK_LOCAL, i);
        }
        assertFalse(s.multicastDue(now + SECOND));
        s.solicited(now, LINK_LOCAL, 1000);
        assertTrue(s.multicastDue(now + SECOND));
        s.multicastSent(now + SECOND);
        assertEquals(0, s.pendingUnicast());
    }

    @Test
    void failedSendsAreRetriedWithBackoff() {
        RaSchedule s = new RaSchedule(new SplittableRandom(seed), config, 0);
        long[] expected = {1, 2, 4, 8, 16, 16};
        long now = 0;
        for (long e : expected) {
            s.multicastFailed(now);
            assertEquals(e * SECOND, s.nextDeadline() - now);
            now = s.nextDeadline();
        }
    }
}
