package io.strait.dataplane;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The link state gauge: a down link is counted once per outage and said in one line each way, not per sample. */
class LinkWatchTest {
    private final CountersManager m = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 14)));
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final LinkWatch watch = new LinkWatch(m, "0", new PrintStream(log, true, StandardCharsets.UTF_8));

    private long value(String name) {
        final long[] v = {-1};
        m.forEach((id, type, key, label) -> {
            if (label.equals(name)) {
                v[0] = m.getCounterValue(id);
            }
        });
        return v[0];
    }

    private String[] lines() {
        final String s = log.toString(StandardCharsets.UTF_8);
        return s.isEmpty() ? new String[0] : s.split("\n");
    }

    @Test
    void anOutageIsCountedOnceAndSaidInOneLineEachWay() {
        watch.sample(true, 0);
        assertEquals(1, value("port.link_up"));
        watch.sample(false, 1000);
        watch.sample(false, 2000);
        watch.sample(false, 3000);
        assertEquals(0, value("port.link_up"));
        assertEquals(1, value("port.link_down_events"), "one outage, however many samples see it");
        assertEquals(1, lines().length, String.join("\n", lines()));
        assertTrue(lines()[0].contains("link down"), lines()[0]);
        watch.sample(true, 4000);
        assertEquals(1, value("port.link_up"));
        assertEquals(2, lines().length);
        assertTrue(lines()[1].contains("link up again after about 3000 ms"), lines()[1]);
        watch.sample(true, 5000);
        watch.sample(false, 6000);
        assertEquals(2, value("port.link_down_events"));
        assertEquals(3, lines().length);
    }

    @Test
    void aLinkThatStartsDownIsNotAnOutage() {
        watch.sample(false, 0); // a memif whose peer has not connected yet
        watch.sample(false, 1000);
        assertEquals(0, value("port.link_down_events"));
        watch.sample(true, 2000);
        assertEquals(0, lines().length, "neither down nor up is reported before the link was ever up");
    }

    @Test
    void operstateUpOrUnknownIsUpAnythingElseDown() {
        assertTrue(LinkWatch.operstateUp("up\n"));
        assertTrue(LinkWatch.operstateUp("unknown\n"));
        for (String s : new String[] {"down\n", "lowerlayerdown\n", "dormant\n", "notpresent\n", "testing\n", ""}) {
            assertTrue(!LinkWatch.operstateUp(s), s);
        }
    }
}
