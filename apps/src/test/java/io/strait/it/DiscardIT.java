package io.strait.it;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CONTRACT.md discard: reads and drops everything, closes when the peer closes. */
class DiscardIT {
    @Test
    void ncSendsTenMegabytesToDiscardAndTheConnectionCloses() {
        try (StraitServer discard = StraitServer.start("--app", "discard")) {
            final Cmd.Result r = Cmd.peer(60, "sh", "-c",
                "head -c 10000000 /dev/zero | nc -q 5 198.18.0.2 9 | wc -c; echo exit=$?");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().startsWith("0\n"), "discard sends nothing back: " + r);
            assertTrue(discard.counter("tcp.bytes_in") >= 10_000_000, "all bytes arrived");
            assertEquals(0, discard.stop());
        }
    }
}
