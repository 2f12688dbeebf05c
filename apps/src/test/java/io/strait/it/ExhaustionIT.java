package io.strait.it;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, exhaustion: a peer that opens far more connections than the server has TCB slots, holds them and then
 * leaves. The extra ones are refused (counted, never a crash or a hang), the held ones keep working, and once the
 * peer is gone every slot comes back: a new client is served and no connection is left behind.
 */
class ExhaustionIT {
    @Test
    void moreConnectionsThanSlotsAreRefusedAndEverySlotComesBack() throws Exception {
        // Past the slots the handshake completes by SYN cookie but the ACK finds no slot: as Linux with a full
        // accept queue, the server drops it (counted) and the client's first read times out.
        try (StraitServer echo = StraitServer.start("--app", "echo", "--max-connections", "64", "--msl-ms", "500")) {
            final Cmd.Result r = Cmd.peer(200, "/usr/bin/python3", "-c", """
                import socket, time
                held, refused = [], 0
                for i in range(160):
                    s = socket.socket(); s.settimeout(0.3)
                    try:
                        s.connect(('198.18.0.2', 7))
                        s.sendall(b'x')
                        if s.recv(1) == b'x':
                            held.append(s)
                        else:
                            refused += 1; s.close()
                    except OSError:
                        refused += 1; s.close()
                ok = 0
                for s in held:          # every held connection still echoes
                    s.settimeout(5)
                    try:
                        s.sendall(b'y'); ok += s.recv(1) == b'y'
                    except OSError:
                        pass
                print(len(held), refused, ok)
                for s in held:
                    s.close()
                """);
            assertEquals(0, r.exit(), r.toString());
            final String[] f = r.out().strip().split(" ");
            final int held = Integer.parseInt(f[0]);
            final int refused = Integer.parseInt(f[1]);
            assertTrue(held > 0 && held <= 64, "no more than the 64 slots are held: " + r.out());
            assertTrue(refused >= 160 - 64, "the rest are refused: " + r.out());
            assertEquals(held, Integer.parseInt(f[2]), "every held connection still works: " + r.out());
            // The peer has left: within 2 MSL (1 s) and the closes every slot is free again, and a new client is
            // served. Waits for the condition, at most 15 s.
            final long deadline = System.nanoTime() + 15_000_000_000L;
            java.util.Map<String, Long> stat = echo.stat();
            while (stat.getOrDefault("tcp.conn_established", 0L) + stat.getOrDefault("tcp.conn_time_wait", 0L)
                    + stat.getOrDefault("tcp.conn_close_wait", 0L) + stat.getOrDefault("tcp.conn_last_ack", 0L) > 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
                stat = echo.stat();
            }
            assertEquals(0L, stat.getOrDefault("tcp.conn_established", 0L), "nothing left behind: " + stat);
            assertEquals(0L, stat.getOrDefault("tcp.conn_time_wait", 0L), "TIME_WAIT gone after 2 MSL: " + stat);
            assertEquals("back\n", Cmd.peer(20, "sh", "-c", "printf 'back\\n' | nc -q 2 198.18.0.2 7").out());
            assertEquals(0L, stat.getOrDefault("internal_errors", 0L));
            assertEquals(0L, stat.getOrDefault("tcp.handler_errors", 0L));
            assertTrue(stat.getOrDefault("tcp.drop_no_tcb_slot", 0L) + stat.getOrDefault("tcp.drop_backlog_full", 0L)
                > 0, "the refusals were counted: " + stat);
            // ... and said in a line, rate-limited (the gauges thread samples once a second, at most a line per 10 s)
            final long lineDeadline = System.nanoTime() + 5_000_000_000L;
            while (!echo.stderr().contains("strait: TCB pool full") && System.nanoTime() < lineDeadline) {
                Thread.sleep(100);
            }
            final long lines = echo.stderr().lines().filter(l -> l.startsWith("strait: TCB pool full")).count();
            // the refusals go on for ~30 s (each client waits 0.3 s for its echo): one line per 10 s at most
            assertTrue(lines >= 1 && lines <= 4, lines + " lines for the condition: " + echo.stderr());
            assertEquals(0, echo.stop(), echo.stderr());
        }
    }
}
