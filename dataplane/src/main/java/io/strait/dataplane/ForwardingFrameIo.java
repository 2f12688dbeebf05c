package io.strait.dataplane;

/** A {@link FrameIo} decorator's base: everything goes to the wrapped port unless overridden. */
abstract class ForwardingFrameIo implements FrameIo {
    protected final FrameIo port;

    protected ForwardingFrameIo(FrameIo port) {
        this.port = port;
    }

    @Override
    public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
        return port.receive(bufs, addrs, lens, flags, max);
    }

    @Override
    public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
        return port.transmit(bufs, addrs, lens, count);
    }

    @Override
    public boolean allocate(long[] bufs, long[] addrs, int count) {
        return port.allocate(bufs, addrs, count);
    }

    @Override
    public void free(long[] bufs, int count) {
        port.free(bufs, count);
    }

    @Override
    public int frameRoom() {
        return port.frameRoom();
    }

    @Override
    public long mac() {
        return port.mac();
    }

    @Override
    public int caps() {
        return port.caps();
    }

    @Override
    public void close() {
        port.close();
    }
}
