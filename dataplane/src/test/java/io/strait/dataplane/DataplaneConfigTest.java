package io.strait.dataplane;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataplaneConfigTest {
    @Test
    void afPacketGetsALargerRingUnlessItNamesOne() {
        final DataplaneConfig c = new DataplaneConfig().dev("net_af_packet0,iface=strait0");
        assertEquals("net_af_packet0,iface=strait0,framecnt=4096", c.devArgs());
        assertTrue(Dataplane.ealArguments(c).contains("--vdev=net_af_packet0,iface=strait0,framecnt=4096"));
        assertEquals("net_af_packet0,iface=x,framecnt=512", new DataplaneConfig()
            .dev("net_af_packet0,iface=x,framecnt=512").devArgs());
    }

    @Test
    void otherDevicesAreGivenAsTheyAre() {
        assertEquals("net_memif0,role=server,socket=/tmp/m.sock", new DataplaneConfig()
            .dev("net_memif0,role=server,socket=/tmp/m.sock").devArgs());
        assertEquals("net_af_xdp0,iface=strait0", new DataplaneConfig().dev("net_af_xdp0,iface=strait0").devArgs());
    }
}
