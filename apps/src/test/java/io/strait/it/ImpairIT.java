package io.strait.it;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONTRACT.md {@code --impair}: loss, duplication, reordering, corruption and delay on Strait's own port, both
 * directions; TCP recovers, and corrupted frames are caught by checksums, never delivered as data.
 */
class ImpairIT {
    @Test
    void fiveMegabytesThroughEchoSurviveAnImpairedPort() {
        try (StraitServer echo = StraitServer.start("--app", "echo", "--impair",
                "loss=0.03,dup=0.02,reorder=0.05,corrupt=0.02,delay=1,seed=7")) {
            final Cmd.Result r = Cmd.peer(300, "/usr/bin/python3", "-c", """
                import socket, hashlib, threading, os
                data = os.urandom(5 * 1000 * 1000)
                s = socket.create_connection(('198.18.0.2', 7), timeout=60)
                got = bytearray()
                def reader():
                    while True:
                        b = s.recv(1 << 20)
                        if not b: break
                        got.extend(b)
                t = threading.Thread(target=reader); t.start()
                s.sendall(data); s.shutdown(socket.SHUT_WR); t.join(); s.close()
                print(len(got), hashlib.sha256(got).digest() == hashlib.sha256(data).digest())
                """);
            assertEquals(0, r.exit(), r.toString());
            assertEquals("5000000 True", r.out().strip(), r.toString());
            final Map<String, Long> stat = echo.stat();
            for (String c : new String[] {"impair.rx_lost", "impair.tx_lost", "impair.rx_corrupted",
                "impair.tx_corrupted", "impair.rx_duplicated", "impair.rx_reordered"}) {
                assertTrue(stat.getOrDefault(c, 0L) > 0, c + " > 0: " + stat);
            }
            assertTrue(stat.getOrDefault("tcp.retransmits", 0L) + stat.getOrDefault("tcp.fast_retransmits", 0L) > 0,
                "Strait retransmitted");
            assertTrue(stat.getOrDefault("drop.ip_checksum", 0L) + stat.getOrDefault("tcp.drop_bad_checksum", 0L)
                > 0, "corrupted frames caught by checksums");
            assertEquals(0, echo.stop());
        }
    }

    @Test
    void badSpecIsOneClearLine() {
        final Cmd.Result r = Cmd.strait(60, "serve", "--app", "echo", "--impair", "loss=2");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("'loss=2' must be 0..1"), r.toString());
    }
}
