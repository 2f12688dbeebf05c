package io.strait.dataplane;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TX stash, claim and queue on their own: bulk refill, abandon, partial bursts kept in order, a full queue. */
class TxQueueTest {
    final Layers l = new Layers(0, 0, TxQueue.TX_QUEUE + 2 * TxQueue.STASH);
    final TxQueue tx = l.tx;

    @AfterEach
    void leakCheck() {
        l.leakCheck();
    }

    /** Takes a buffer, writes {@code tag} at byte 0 and queues it as a 60-byte frame. */
    void queue(int tag) {
        assertTrue(tx.take());
        tx.out().putByte(0, (byte) tag);
        final long addr = tx.claimAddr();
        tx.enqueue(tx.release(), addr, 60);
    }

    @Test
    @DisplayName("The stash is refilled STASH buffers at a time, one bulk allocate each")
    void stashRefill() {
        assertTrue(tx.take());
        assertEquals(TxQueue.STASH, l.io.outstanding(), "one refill");
        tx.abandon();
        for (int i = 0; i < TxQueue.STASH; i++) {
            queue(i);
        }
        assertEquals(TxQueue.STASH, l.io.outstanding(), "the abandoned claim was reused: no second refill");
        queue(99);
        assertEquals(2 * TxQueue.STASH, l.io.outstanding());
    }

    @Test
    @DisplayName("An empty pool: take() fails and is counted, never a crash")
    void poolExhausted() {
        l.io.exhausted = true;
        assertFalse(tx.take());
        assertEquals(1, l.counter("drop.mbuf_exhausted"));
        l.io.exhausted = false;
    }

    @Test
    @DisplayName("Abandon puts an open claim back in the stash; after a release it does nothing")
    void abandon() {
        assertTrue(tx.take());
        final long addr = tx.claimAddr();
        tx.abandon();
        tx.abandon();
        assertTrue(tx.take());
        assertEquals(addr, tx.claimAddr(), "the same buffer comes back first");
        tx.enqueue(tx.release(), addr, 60);
        tx.abandon(); // no claim open: a no-op, the queued frame is not stashed twice
        assertEquals(1, tx.queued());
    }

    @Test
    @DisplayName("A partial burst keeps what the port did not take, in order; counters count what went out")
    void partialBurst() {
        l.io.txLimit = 2;
        for (int tag = 0; tag < 5; tag++) {
            queue(tag);
        }
        assertEquals(2, tx.flush());
        assertEquals(3, tx.queued());
        assertEquals(2, tx.flush());
        assertEquals(1, tx.flush());
        assertEquals(0, tx.flush(), "nothing queued: no transmit call");
        for (int tag = 0; tag < 5; tag++) {
            assertEquals(tag, l.io.sent()[0], "order kept");
        }
        assertEquals(5, l.counter("tx_packets"));
        assertEquals(5 * 60, l.counter("tx_bytes"));
        assertEquals(2, l.counter("tx_partial_bursts"));
    }

    @Test
    @DisplayName("Length and offload bits travel together; only the length counts as bytes")
    void offloadBitsKept() {
        assertTrue(tx.take());
        final long addr = tx.claimAddr();
        tx.enqueue(tx.release(), addr, 54 | FrameIo.TX_IP_CKSUM);
        tx.flush();
        assertEquals(FrameIo.TX_IP_CKSUM, l.io.peekSentFlags());
        assertEquals(54, l.io.sent().length);
        assertEquals(54, l.counter("tx_bytes"));
    }

    @Test
    @DisplayName("A full queue drops the new frame, frees it and counts it")
    void fullQueue() {
        l.io.txLimit = 0;
        for (int i = 0; i < TxQueue.TX_QUEUE; i++) {
            queue(i);
        }
        queue(0);
        assertEquals(TxQueue.TX_QUEUE, tx.queued());
        assertEquals(1, l.counter("drop.tx_queue_full"));
        l.io.txLimit = Integer.MAX_VALUE;
    }
}
