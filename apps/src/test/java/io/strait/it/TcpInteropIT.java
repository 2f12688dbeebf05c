package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 3: Strait's TCP engine against the Linux kernel's TCP through the real DPDK port. Clients are nc, Python
 * sockets, hping3 and scapy in the peer namespace; servers are Strait's echo (port 7) and discard (port 9).
 */
class TcpInteropIT {
    static StraitServer echo;

    @BeforeAll
    static void start() {
        echo = StraitServer.start("--app", "echo");
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            assertEquals(0, echo.stop(), "serve exits 0 on SIGTERM\n" + echo.stderr());
            assertTrue(!echo.stderr().contains("Exception"), echo.stderr());
        }
    }

    @Test
    void ncAgainstEcho() {
        final Cmd.Result r = Cmd.peer(30, "sh", "-c", "printf 'hello strait\\n' | nc -q 2 198.18.0.2 7");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("hello strait\n", r.out());
    }

    /** 100 MB each way at once through echo: the SHA-256 of what came back equals what was sent. */
    @Test
    void hundredMegabytesBothWaysThroughEchoWithEqualSha256() {
        final Cmd.Result r = Cmd.peer(300, "/usr/bin/python3", "-c", """
            import socket, hashlib, threading, os
            size = 100 * 1000 * 1000
            block = os.urandom(1 << 20)
            sent = hashlib.sha256(); got = hashlib.sha256(); n = [0]
            s = socket.create_connection(('198.18.0.2', 7))
            def reader():
                while True:
                    b = s.recv(1 << 20)
                    if not b: break
                    got.update(b); n[0] += len(b)
            t = threading.Thread(target=reader); t.start()
            left = size
            while left > 0:
                chunk = block[:min(left, len(block))]
                s.sendall(chunk); sent.update(chunk); left -= len(chunk)
            s.shutdown(socket.SHUT_WR); t.join(); s.close()
            print(n[0], sent.hexdigest() == got.hexdigest())
            """);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("100000000 True", r.out().strip(), r.toString());
    }

    @Test
    void manyConcurrentConnectionsEachEchoTheirOwnBytes() {
        final Cmd.Result r = Cmd.peer(120, "/usr/bin/python3", "-c", """
            import socket, os, concurrent.futures as cf
            def one(i):
                data = os.urandom(100000 + i)
                s = socket.create_connection(('198.18.0.2', 7))
                s.sendall(data); s.shutdown(socket.SHUT_WR)
                out = bytearray()
                while True:
                    b = s.recv(65536)
                    if not b: break
                    out.extend(b)
                s.close()
                return bytes(out) == data
            with cf.ThreadPoolExecutor(64) as ex:
                results = list(ex.map(one, range(200)))
            print(sum(results))
            """);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("200", r.out().strip(), r.toString());
    }

    @Test
    void connectToAClosedPortIsRefusedWithRst() {
        final Cmd.Result r = Cmd.peer(30, "/usr/bin/python3", "-c", """
            import socket
            try:
                socket.create_connection(('198.18.0.2', 5555), timeout=5)
                print('connected')
            except ConnectionRefusedError:
                print('refused')
            """);
        assertEquals("refused", r.out().strip(), r.toString());
    }

    /** RFC 4987: a SYN flood at full speed fills the backlog; cookies answer it and a real client still connects. */
    @Test
    void synFloodAnsweredWithCookiesWhileALinuxClientConnects() throws Exception {
        final long cookiesBefore = echo.counter("tcp.syn_cookies_sent");
        final Process flood = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "hping3", "--flood", "-S", "-p", "7",
            "--rand-source", "-q", "198.18.0.2").redirectErrorStream(true).start();
        try {
            Thread.sleep(3000);
            final Cmd.Result r = Cmd.peer(60, "/usr/bin/python3", "-c", """
                import socket
                ok = 0
                for i in range(20):
                    s = socket.create_connection(('198.18.0.2', 7), timeout=10)
                    s.sendall(b'ping %d' % i)
                    if s.recv(100) == b'ping %d' % i: ok += 1
                    s.close()
                print(ok)
                """);
            assertEquals("20", r.out().strip(), "connections during the flood: " + r);
        } finally {
            flood.destroy();
            flood.waitFor();
        }
        assertTrue(echo.counter("tcp.syn_cookies_sent") > cookiesBefore + 100, "SYN cookies were sent");
    }

    /** RFC 5961 §3, §4, §5: blind RST, SYN and data injection on an established connection get challenge ACKs. */
    @Test
    void blindInjectionIsAnsweredAsRfc5961Says() {
        final long challengesBefore = echo.counter("tcp.challenge_acks");
        final Cmd.Result r = Cmd.scapy(120, """
            import socket, time, threading
            s = socket.create_connection(('198.18.0.2', 7))
            sport = s.getsockname()[1]
            s.sendall(b'x'); assert s.recv(10) == b'x'
            # Learn the exact sequence numbers from a sniffed ACK of Strait.
            pkts = []
            t = threading.Thread(target=lambda: pkts.extend(sniff(iface='strait1', timeout=2,
                filter='tcp and src host 198.18.0.2 and src port 7 and dst port %d' % sport)))
            t.start(); time.sleep(0.5); s.sendall(b'y'); t.join()
            assert s.recv(10) == b'y'
            last = [p for p in pkts if p[TCP].dport == sport][-1]
            strait_seq = last[TCP].seq + len(last[TCP].payload)
            our_seq = last[TCP].ack
            ip = IP(src='198.18.0.1', dst='198.18.0.2')
            def probe(seg):
                # A challenge ACK does not "answer" the probe in scapy's sense (its ack is RCV.NXT, not the
                # probe's seq), so sniff what Strait sends on this connection right after the probe.
                sn = AsyncSniffer(iface='strait1',
                    filter='tcp and src host 198.18.0.2 and src port 7 and dst port %d' % sport)
                sn.start(); time.sleep(0.3)
                send(ip/seg, iface='strait1')
                time.sleep(0.5); got = sn.stop()
                acks = [p for p in got if p[TCP].flags == 'A' and p[TCP].ack == our_seq]
                return acks[0] if acks else None
            # RST in window but not exact: challenge ACK, connection survives (RFC 5961 §3.2)
            a = probe(TCP(sport=sport, dport=7, flags='R', seq=our_seq + 100))
            print('rst-in-window', a is not None and a[TCP].flags == 'A')
            # SYN on an established connection: challenge ACK (RFC 5961 §4.2)
            a = probe(TCP(sport=sport, dport=7, flags='S', seq=our_seq + 5000))
            print('syn', a is not None and a[TCP].flags == 'A')
            # Data with an unacceptable ACK (far in the future): dropped with an ACK (RFC 5961 §5.2)
            a = probe(TCP(sport=sport, dport=7, flags='PA', seq=our_seq, ack=strait_seq + 10**6)/b'evil')
            print('bad-ack', a is not None and a[TCP].flags == 'A')
            # The connection still works and never echoed the injected data.
            s.sendall(b'z'); print('alive', s.recv(10) == b'z')
            s.close()
            """);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("rst-in-window True"), r.toString());
        assertTrue(r.out().contains("syn True"), r.toString());
        assertTrue(r.out().contains("bad-ack True"), r.toString());
        assertTrue(r.out().contains("alive True"), r.toString());
        assertTrue(echo.counter("tcp.challenge_acks") >= challengesBefore + 2, "challenge ACKs counted");
    }
}
