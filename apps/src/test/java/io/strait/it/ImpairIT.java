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
    /**
     * Strait sending 5 MB (GET /bytes/N) and echoing 1 MB (POST /echo) on a port that loses, duplicates, reorders,
     * corrupts and delays frames in both directions: every byte arrives right. (Echo under loss is slow: see the
     * note on loss recovery in the README.)
     */
    @Test
    void transfersSurviveAnImpairedPort() {
        try (StraitServer http = StraitServer.start("--app", "http", "--impair",
                "loss=0.03,dup=0.02,reorder=0.05,corrupt=0.02,delay=1,seed=7")) {
            final Cmd.Result r = Cmd.peer(300, "/usr/bin/python3", "-c", """
                import http.client, os, hashlib
                c = http.client.HTTPConnection('198.18.0.2', 80, timeout=120)
                c.request('GET', '/bytes/5000000')
                body = c.getresponse().read()
                pattern = bytes(i % 251 for i in range(251)) * (5000000 // 251 + 1)
                print('bytes', len(body), body == pattern[:5000000])
                data = os.urandom(1000000)
                c.request('POST', '/echo', body=data)
                back = c.getresponse().read()
                print('echo', len(back), hashlib.sha256(back).digest() == hashlib.sha256(data).digest())
                """);
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("bytes 5000000 True"), r.toString());
            assertTrue(r.out().contains("echo 1000000 True"), r.toString());
            final Map<String, Long> stat = http.stat();
            for (String c : new String[] {"impair.rx_lost", "impair.tx_lost", "impair.rx_corrupted",
                "impair.tx_corrupted", "impair.rx_duplicated", "impair.tx_reordered"}) {
                assertTrue(stat.getOrDefault(c, 0L) > 0, c + " > 0: " + stat);
            }
            assertTrue(stat.getOrDefault("tcp.retransmits", 0L) > 0, "Strait retransmitted");
            assertTrue(stat.getOrDefault("drop.ip_checksum", 0L) + stat.getOrDefault("tcp.drop_bad_checksum", 0L)
                > 0, "corrupted frames caught by checksums");
            assertEquals(0, http.stop());
        }
    }

    @Test
    void badSpecIsOneClearLine() {
        final Cmd.Result r = Cmd.strait(60, "serve", "--app", "echo", "--impair", "loss=2");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("'loss=2' must be 0..1"), r.toString());
    }
}
