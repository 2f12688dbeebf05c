package io.strait.it;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, ICMP for connections: path MTU discovery (RFC 1191) against the Linux peer, and packetization-layer
 * PMTUD (RFC 4821) where the ICMP is filtered ({@link #probingCarriesADownloadThroughABlackHole}). A 30 MB download from
 * {@code serve --app http} runs while scapy in the peer namespace plays a router whose next hop has an MTU of 1280:
 * it answers a full-size segment of the live connection with "fragmentation needed" (type 3 code 4, MTU 1280)
 * quoting it. The transfer must complete byte-exact, and every segment Strait sends after the reduction must fit a
 * 1280-byte IP packet.
 *
 * <p>Strait's port delays both directions by 100 ms ({@code --impair delay=100}), so segments stay in flight long
 * enough for an ICMP sent from Python (which sees the segments late) to quote a sequence number that is still
 * unacknowledged when it arrives (RFC 5927 §4.1: one outside SND.UNA..SND.NXT is dropped). A router sends one ICMP
 * per oversized packet; the script sends one per offset ahead of the segment it saw (linear, then doubling), so
 * that some land in the flight whatever the rate; the engine rightly ignores the others as out of the window or as
 * not lowering the MSS again.
 */
class PmtuIT {
    @Test
    void fragmentationNeededLowersTheSegmentSizeOfALiveDownload() {
        try (StraitServer http = StraitServer.start("--app", "http", "--impair", "delay=100")) {
            final long n = 30_000_000;
            final Cmd.Result r = Cmd.scapy(240, """
                import subprocess, time
                big = []
                def on_pkt(p):
                    if IP in p and TCP in p and p[IP].src == '198.18.0.2' and p[IP].len > 1280:
                        big.append(p)
                sniffer = AsyncSniffer(iface='strait1', filter='tcp and src host 198.18.0.2 and src port 80',
                                       store=True, prn=on_pkt)
                sniffer.start()
                time.sleep(0.5)
                curl = subprocess.Popen(['sh', '-c', 'curl -s http://198.18.0.2/bytes/%d > /tmp/strait-pmtu.bin'])
                deadline = time.time() + 30
                while len(big) < 60 and time.time() < deadline:
                    time.sleep(0.01)
                # Python sees segments late (and later still on a busy machine): predict where the sender is now
                # from the capture timestamps (rate x lag), then quote sequence numbers from there to 100 ms
                # ahead (the ACKs reach Strait 100 ms late, so that much stays unacknowledged when the ICMP lands).
                recent = big[-50:]
                seen = recent[-1]
                span = max(1e-3, float(seen.time) - float(recent[0].time))
                rate = max(1000.0, ((seen[TCP].seq - recent[0][TCP].seq) & 0xFFFFFFFF) / span)
                ahead = int(rate * max(0.0, time.time() - float(seen.time)))
                mac = getmacbyip('198.18.0.2')
                quoted = bytes(seen[IP])[:28]
                offsets = ([ahead + int(rate * 0.1 * k / 60) for k in range(0, 60)]
                           + [1448 * k for k in range(0, 200)] + [1 << i for i in range(10, 27)])
                frames = []
                for off in offsets:
                    q = bytearray(quoted)
                    q[24:28] = ((seen[TCP].seq + off) & 0xFFFFFFFF).to_bytes(4, 'big')
                    frames.append(Ether(dst=mac)/IP(src='198.18.0.1', dst='198.18.0.2')
                                  /ICMP(type=3, code=4, nexthopmtu=1280)/Raw(bytes(q)))
                icmp_at = time.time()
                sendp(frames, iface='strait1')
                curl.wait(timeout=200)
                time.sleep(0.2)
                pkts = sniffer.stop()
                later = [p for p in pkts if p.time > icmp_at + 1.0 and IP in p and len(p[TCP].payload) > 0]
                print('icmp_sent', len(frames))
                print('big_before', len(big))
                print('later_segments', len(later))
                print('later_max_ip_len', max((p[IP].len for p in later), default=0))
                d = open('/tmp/strait-pmtu.bin', 'rb').read()
                pat = bytes(i %% 251 for i in range(251))
                ok = len(d) == %d and all(d[k:k + 251] == pat[:len(d[k:k + 251])] for k in range(0, len(d), 251))
                print('download', len(d), ok)
                """.formatted(n, n));
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("download " + n + " True"), "byte-exact download: " + r);
            final long reductions = http.counter("tcp.pmtu_reductions");
            assertEquals(1, reductions, "one reduction, the other ICMPs ignored: " + r + "\n" + http.stat());
            assertTrue(http.counter("icmp.errors_to_transport") > 0);
            final long later = field(r.out(), "later_segments");
            assertTrue(later > 1000, "the download went on after the ICMP: " + r);
            final long maxLen = field(r.out(), "later_max_ip_len");
            assertTrue(maxLen <= 1280, "segments after the ICMP fit 1280 bytes, got " + maxLen + ": " + r);
            System.out.println("PmtuIT: " + r.out().replace('\n', ' ') + " icmp_drop_out_of_window="
                + http.counter("tcp.icmp_drop_out_of_window") + " pmtu_ignored=" + http.counter("tcp.pmtu_ignored"));
        }
    }

    /**
     * RFC 4821 where ICMP is filtered (a PMTUD black hole, RFC 2923 §2.1): in the peer namespace an nftables rule
     * drops every IPv4 packet from Strait longer than 1280 bytes, and nothing answers with an ICMP. The handshake
     * still negotiates MSS 1460, so a 100 MB download starts with segments that vanish; the engine must suspect the
     * black hole from its timeouts, fall back to 1024 and probe its way up to the largest size that passes (1240),
     * and the download must arrive intact (byte count and SHA-256 of byte i = i mod 251) well within a minute.
     */
    @Test
    void probingCarriesADownloadThroughABlackHole() throws Exception {
        final long n = 100_000_000;
        final String table = "strait_blackhole";
        nft("delete table ip " + table); // a leftover from an interrupted run, if any
        final Cmd.Result add = Cmd.peer(30, "nft", "add table ip " + table + " ; add chain ip " + table
            + " input { type filter hook input priority 0 ; } ; add rule ip " + table
            + " input ip saddr 198.18.0.2 ip length > 1280 counter drop");
        assertEquals(0, add.exit(), "nft rule: " + add);
        try (StraitServer http = StraitServer.start("--app", "http")) {
            final long t0 = System.nanoTime();
            final Cmd.Result r = Cmd.peer(90, "sh", "-c", "curl -s --max-time 60 -o /tmp/strait-blackhole.bin"
                + " -w '%{size_download} %{time_total}\\n' http://198.18.0.2/bytes/" + n
                + " && sha256sum /tmp/strait-blackhole.bin; rm -f /tmp/strait-blackhole.bin");
            final double wallS = (System.nanoTime() - t0) / 1e9;
            assertEquals(0, r.exit(), "curl: " + r);
            final String[] lines = r.out().trim().split("\n");
            final String[] sizeTime = lines[0].trim().split(" ");
            assertEquals(n, Long.parseLong(sizeTime[0]), "bytes downloaded: " + r);
            assertEquals(expectedSha256(n), lines[1].split(" ")[0], "content (SHA-256 of i mod 251): " + r);
            final java.util.Map<String, Long> st = http.stat();
            final long drops = nftDrops(table);
            assertTrue(drops > 0, "the rule dropped the full-size segments: " + drops);
            assertTrue(st.getOrDefault("tcp.pmtu_blackholes", 0L) >= 1, "black hole found: " + st);
            assertTrue(st.getOrDefault("tcp.pmtu_probe_successes", 0L) >= 1, "a probe raised the MSS: " + st);
            // What the rule dropped: the first flight and its retransmissions before the black hole was found, and
            // the probes that failed; the 100 MB themselves went through in sizes that fit.
            assertTrue(drops < 100, "dropped " + drops + " (the transfer kept sending what does not fit?)");
            final double curlS = Double.parseDouble(sizeTime[1]);
            assertTrue(curlS < 60, "bounded time: " + curlS + " s");
            System.out.printf("PmtuIT black hole: %d bytes intact in %.2f s (curl; %.2f s with the checksum), "
                    + "RTOs %d, black holes %d, probes %d (+%d -%d), packets dropped by the 1280-byte rule %d%n",
                n, curlS, wallS, st.getOrDefault("tcp.rto_expiries", 0L), st.getOrDefault("tcp.pmtu_blackholes", 0L),
                st.getOrDefault("tcp.pmtu_probes", 0L), st.getOrDefault("tcp.pmtu_probe_successes", 0L),
                st.getOrDefault("tcp.pmtu_probe_failures", 0L), drops);
        } finally {
            final Cmd.Result del = nft("delete table ip " + table);
            assertEquals(0, del.exit(), "nft cleanup: " + del);
        }
    }

    private static Cmd.Result nft(String command) {
        return Cmd.peer(30, "nft", command);
    }

    /** Packets the black-hole rule counted (its {@code counter packets N bytes M}). */
    private static long nftDrops(String table) {
        final Cmd.Result r = nft("list table ip " + table);
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(r.out());
        if (!m.find()) {
            throw new AssertionError("no counter in " + r);
        }
        return Long.parseLong(m.group(1));
    }

    /** SHA-256, hex, of the http app's /bytes/N body: byte i is i mod 251. */
    static String expectedSha256(long n) throws java.security.NoSuchAlgorithmException {
        final java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        final byte[] block = new byte[251 * 4096];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i % 251);
        }
        for (long done = 0; done < n; done += block.length) {
            md.update(block, 0, (int) Math.min(block.length, n - done));
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    static long field(String out, String name) {
        for (String line : out.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in " + out);
    }
}
