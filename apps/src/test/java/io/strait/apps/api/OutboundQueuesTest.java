package io.strait.apps.api;

import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import io.strait.tcp.sim.FaultPlan;
import io.strait.tcp.sim.SimWire;
import io.strait.tcp.sim.VirtualClock;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbound queue behind Connection.send, over two engines on a simulated wire. */
class OutboundQueuesTest {
    private static CountersManager counters() {
        return new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 1024)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)));
    }

    @Test
    void bytesBeyondTheSendBufferWaitInOrderUpToTheLimitAndCloseFollowsThem() {
        final TcpConfig config = TcpConfig.builder().maxConnections(8).sendBufferBytes(16 * 1024)
            .receiveBufferBytes(16 * 1024).build();
        final VirtualClock clock = new VirtualClock(1_000_000_000L);
        final TcpEngine server = new TcpEngine(config, () -> 11, counters(), "s.");
        final TcpEngine client = new TcpEngine(config, () -> 13, counters(), "c.");
        final SimWire wire = new SimWire(3, FaultPlan.clean(100_000), clock);
        wire.attach(client, 1, server, 2);
        final OutboundQueues queues = new OutboundQueues(server, config.maxConnections);
        queues.limitBytes(100_000);
        final byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + (i >> 8));
        }
        final int[] accepted = new int[3];
        final boolean[] closedNow = new boolean[1];
        server.listen(80, new TcpHandler() {
            @Override
            public void onOpen(long h) {
                accepted[0] = queues.send(h, new UnsafeBuffer(data), 0, 60_000);
                accepted[1] = queues.send(h, new UnsafeBuffer(data), 60_000, 100_000); // only 56 KB fit
                closedNow[0] = queues.closeAfterDrain(h);
            }

            @Override
            public int onData(long h, DirectBuffer b, int o, int l) {
                return l;
            }

            @Override
            public void onWritable(long h) {
                queues.drain(h);
            }

            @Override
            public void onClose(long h, int reason) {
                queues.clear(h);
            }
        });
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final boolean[] fin = new boolean[1];
        client.connect(1, 2, 80, new TcpHandler() {
            @Override
            public void onOpen(long h) {
            }

            @Override
            public int onData(long h, DirectBuffer b, int o, int l) {
                final byte[] chunk = new byte[l];
                b.getBytes(o, chunk);
                got.writeBytes(chunk);
                return l;
            }

            @Override
            public void onPeerFin(long h) {
                fin[0] = true;
                client.close(h);
            }

            @Override
            public void onClose(long h, int reason) {
            }
        }, clock.nowNs());
        wire.runUntil(() -> fin[0] && server.connectionCount() == 0 && client.connectionCount() == 0,
            clock.nowNs() + 120_000_000_000L);
        assertEquals(60_000, accepted[0], "the first send fits engine + queue");
        // Queue limit 100 KB: after the first send (16 KB in the engine, 44 KB queued) 56 KB more fit.
        assertTrue(accepted[1] > 0 && accepted[1] < 100_000, "past the limit send accepts less: " + accepted[1]);
        assertTrue(!closedNow[0], "close waits for the queue");
        final byte[] expected = java.util.Arrays.copyOf(data, 60_000 + accepted[1]);
        assertArrayEquals(expected, got.toByteArray(), "every accepted byte, in order, then FIN");
        assertTrue(fin[0]);
    }
}
