package io.strait.it;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import io.strait.apps.api.Strait;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, the virtio PMD: two Strait processes over virtio rings, no kernel between them: {@code serve --app http}
 * on a vhost-user backend ({@code net_vhost0}) and a Strait client in this JVM on DPDK's {@code virtio_user} PMD
 * connected to its socket, both on 2 MB hugepages the test reserves (vhost-user shares the frontend's memory).
 * 100 MB each way with equal SHA-256: a download of /bytes/N and an echo through POST /echo.
 */
class VirtioIT {
    static final Path SOCKET = Path.of("/tmp/strait-vhost-" + ProcessHandle.current().pid() + ".sock");
    static final long BYTES = 100_000_000L;
    static int hugepagesBefore;
    static boolean mountedHugetlbfs;
    static StraitServer server;
    static Strait client;

    @BeforeAll
    static void start() throws Exception {
        final Path nr = Path.of("/proc/sys/vm/nr_hugepages");
        hugepagesBefore = Integer.parseInt(Files.readString(nr).strip());
        Files.writeString(nr, Integer.toString(hugepagesBefore + 768));
        final String free = Files.readAllLines(Path.of("/proc/meminfo")).stream()
            .filter(l -> l.startsWith("HugePages_Free:")).findFirst().orElse("HugePages_Free: 0");
        assertTrue(Integer.parseInt(free.split(":")[1].strip()) >= 600,
            "the test needs 600 free 2 MB hugepages: " + free);
        if (Files.readAllLines(Path.of("/proc/mounts")).stream().noneMatch(l -> l.contains(" hugetlbfs "))) {
            Files.createDirectories(Path.of("/dev/hugepages")); // DPDK looks for a hugetlbfs mount
            final Cmd.Result m = Cmd.run(30, "mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", "/dev/hugepages");
            assertEquals(0, m.exit(), "mount hugetlbfs: " + m);
            mountedHugetlbfs = true;
        }
        Files.deleteIfExists(SOCKET);
        server = StraitServer.start("--app", "http", "--dev", "net_vhost0,iface=" + SOCKET + ",queues=1",
            "--hugepages", "--ip", "198.19.70.1/24", "--msl-ms", "1000");
        client = Strait.builder().dev("net_virtio_user0,path=" + SOCKET + ",queues=1").ip("198.19.70.2/24")
            .hugepages(true).start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
            if (server != null) {
                final long segments = server.counter("tcp.segments_to_engine");
                final long byPort = server.counter("tcp.checksum_verified_by_port");
                System.out.println("VirtioIT: server tcp.segments_to_engine " + segments
                    + ", tcp.checksum_verified_by_port " + byPort);
                assertTrue(byPort > segments / 2, "the client's TX checksum offload was used: " + byPort + " of "
                    + segments + " segments arrived with the checksum left to the port");
                assertEquals(0, server.stop(), "serve exits 0 on SIGTERM\n" + server.stderr());
            }
        } finally {
            if (mountedHugetlbfs) {
                Cmd.run(30, "umount", "/dev/hugepages");
            }
            Files.writeString(Path.of("/proc/sys/vm/nr_hugepages"), Integer.toString(hugepagesBefore));
            Files.deleteIfExists(SOCKET);
        }
    }

    /**
     * What the pair negotiates in DPDK 22.11: TCP checksum offload both ways (RX 0x2, VIRTIO_NET_F_GUEST_CSUM; TX 0x8,
     * VIRTIO_NET_F_CSUM), no IPv4 header checksum (virtio has none). A sender leaves the pseudo-header sum in the
     * field (NEEDS_CSUM) and the receiving port hands the frame up as verified (RX_L4_CKSUM_NONE: data intact,
     * field partial): the byte-exact transfers below and {@code tcp.checksum_verified_by_port} show it was used.
     */
    @Test
    void readyListsTheOffloadsTheVirtioPortNegotiated() {
        assertTrue(server.readyLine().contains("(net_vhost)"), server.readyLine());
        final int offloads = Integer.parseInt(server.readyField("offloads").substring(2), 16);
        assertEquals(0xA, offloads & 0xA, "RX and TX TCP checksum negotiated: " + server.readyLine());
    }

    @Test
    void oneHundredMegabytesDownWithEqualSha256() throws Exception {
        final MessageDigest expected = MessageDigest.getInstance("SHA-256");
        final byte[] pattern = new byte[251 * 4096];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i % 251);
        }
        for (long done = 0; done < BYTES; done += pattern.length) {
            expected.update(pattern, 0, (int) Math.min(pattern.length, BYTES - done));
        }
        final byte[] request = ("GET /bytes/" + BYTES + " HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        final Exchange x = new Exchange(request, null);
        client.connect(new InetSocketAddress("198.19.70.1", 80), x, Duration.ofSeconds(10));
        final String got = x.result.get(180, TimeUnit.SECONDS);
        assertEquals(BYTES + " " + HexFormat.of().formatHex(expected.digest()), got);
    }

    @Test
    void oneHundredMegabytesEchoedWithEqualSha256() throws Exception {
        final byte[] body = new byte[(int) BYTES];
        new Random(7).nextBytes(body);
        final String sent = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        final byte[] head = ("POST /echo HTTP/1.1\r\nHost: s\r\nContent-Length: " + BYTES
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final Exchange x = new Exchange(head, body);
        client.connect(new InetSocketAddress("198.19.70.1", 80), x, Duration.ofSeconds(10));
        assertEquals(BYTES + " " + sent, x.result.get(180, TimeUnit.SECONDS));
    }

    /** One request (head, then an optional body written as the send buffer drains); hashes the response body. */
    static final class Exchange implements ConnectionHandler {
        final CompletableFuture<String> result = new CompletableFuture<>();
        private final byte[] head;
        private final byte[] body;
        private final UnsafeBuffer out = new UnsafeBuffer(new byte[0]);
        private final MessageDigest digest;
        private final StringBuilder header = new StringBuilder();
        private final byte[] chunk = new byte[64 * 1024];
        private int headSent;
        private long bodySent;
        private long contentLength = -1;
        private long received;

        Exchange(byte[] head, byte[] body) throws Exception {
            this.head = head;
            this.body = body;
            this.digest = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void onOpen(Connection c) {
            send(c);
        }

        @Override
        public void onWritable(Connection c) {
            send(c);
        }

        private void send(Connection c) {
            while (headSent < head.length) {
                final int n = c.write(head, headSent, head.length - headSent);
                if (n <= 0) {
                    return;
                }
                headSent += n;
            }
            while (body != null && bodySent < body.length) {
                out.wrap(body, (int) bodySent, (int) Math.min(256 * 1024, body.length - bodySent));
                final int n = c.write(out, 0, out.capacity());
                if (n <= 0) {
                    return;
                }
                bodySent += n;
            }
        }

        @Override
        public int onData(Connection c, DirectBuffer b, int offset, int length) {
            int i = 0;
            while (contentLength < 0 && i < length) {
                header.append((char) b.getByte(offset + i++));
                if (header.length() >= 4 && header.substring(header.length() - 4).equals("\r\n\r\n")) {
                    final String h = header.toString().toLowerCase();
                    final int at = h.indexOf("content-length: ");
                    contentLength = Long.parseLong(h.substring(at + 16, h.indexOf("\r\n", at)).strip());
                }
            }
            while (i < length) {
                final int n = Math.min(chunk.length, length - i);
                b.getBytes(offset + i, chunk, 0, n);
                digest.update(chunk, 0, n);
                received += n;
                i += n;
            }
            if (contentLength >= 0 && received >= contentLength) {
                result.complete(received + " " + HexFormat.of().formatHex(digest.digest()));
                c.close();
            }
            return length;
        }

        @Override
        public void onClose(Connection c, int reason) {
            result.complete("closed early after " + received + " bytes, reason " + reason);
        }
    }
}
