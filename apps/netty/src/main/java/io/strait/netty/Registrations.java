package io.strait.netty;

import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;

import java.util.function.Consumer;

/** What both Strait channels do to join an event loop: only Strait's loops take them, through the I/O SPI. */
final class Registrations {
    private Registrations() {
    }

    static boolean compatible(EventLoop loop) {
        return loop instanceof IoEventLoop l && l.isCompatible(StraitIoHandler.StraitIoHandle.class);
    }

    /** Registers {@code handle} with {@code loop}'s Strait handler; {@code registered} runs before the promise. */
    static void register(EventLoop loop, StraitIoHandler.StraitIoHandle handle, ChannelPromise promise,
                         Consumer<IoRegistration> registered) {
        ((IoEventLoop) loop).register(handle).addListener(f -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
                return;
            }
            registered.accept((IoRegistration) f.getNow());
            promise.trySuccess();
        });
    }
}
