package io.strait.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 4: {@code serve --pcap FILE} writes a capture that tshark opens, showing handshake, data and close. */
class PcapIT {
    private static int count(Path file, String filter) {
        final Cmd.Result r = Cmd.run(60, "tshark", "-r", file.toString(), "-Y", filter);
        assertEquals(0, r.exit(), r.toString());
        return (int) r.out().lines().filter(l -> !l.isBlank()).count();
    }

    @Test
    void captureShowsHandshakeDataAndClose() throws Exception {
        final Path file = Files.createTempDirectory("strait-pcap").resolve("serve.pcap");
        try (StraitServer echo = StraitServer.start("--app", "echo", "--pcap", file.toString())) {
            final Cmd.Result r = Cmd.peer(30, "sh", "-c", "printf 'captured-bytes' | nc -q 1 198.18.0.2 7");
            assertEquals("captured-bytes", r.out(), r.toString());
            assertEquals(0, echo.stop());
        }
        assertTrue(Files.size(file) > 24, "capture written");
        assertEquals(1, count(file, "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==7"), "SYN in");
        assertEquals(1, count(file, "tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.srcport==7"), "SYN-ACK out");
        assertEquals(2, count(file, "tcp.payload contains \"captured-bytes\""), "the data in and echoed out");
        assertTrue(count(file, "tcp.flags.fin==1 && tcp.srcport==7") >= 1, "Strait's FIN");
        assertTrue(count(file, "tcp.flags.fin==1 && tcp.dstport==7") >= 1, "the peer's FIN");
        assertTrue(count(file, "arp") >= 1, "ARP captured too");
        final Cmd.Result bad = Cmd.run(60, "tshark", "-r", file.toString(), "-Y", "_ws.expert.severity >= error");
        assertEquals("", bad.out().strip(), "no malformed frames in the capture: " + bad);
    }
}
