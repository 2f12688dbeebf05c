package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static io.strait.tcp.Harness.*;
import static org.junit.jupiter.api.Assertions.*;

class TimerCapTest {
    @Test
    @DisplayName("Timers: at most maxTimersPerPoll expiries per poll; the rest run on the next polls; one wheel timer per TCB")
    void expiriesCappedPerPoll() {
        final Harness h = new Harness(Harness.base().maxTimersPerPoll(2).build());
        for (int i = 0; i < 6; i++) {
            h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        }
        assertEquals(6, h.poll().size(), "six SYNs");
        assertEquals(6, h.engine.scheduledTimers());
        assertEquals(6, h.counter("timers_scheduled"));
        h.clock.advanceBy(1000 * MS);
        assertEquals(2, h.poll().size());
        assertEquals(2, h.poll().size());
        assertEquals(2, h.poll().size());
        assertEquals(0, h.poll().size());
        assertEquals(6, h.counter("rto_expiries"));
        h.finishAndCheckLeaks();
    }
}
