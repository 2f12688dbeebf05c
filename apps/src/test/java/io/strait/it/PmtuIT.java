package io.strait.it;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, ICMP for connections: path MTU discovery (RFC 1191) against the Linux peer. A 30 MB download from
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

    static long field(String out, String name) {
        for (String line : out.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in " + out);
    }
}
