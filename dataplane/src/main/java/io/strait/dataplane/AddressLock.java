package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One Strait process per address: an exclusive lock on {@code /run/strait/ip-A.B.C.D.lock}, holding the owner's
 * pid. The kernel drops the lock when the process dies, so a crash leaves nothing to clean up.
 */
public final class AddressLock implements AutoCloseable {
    static final Path DIRECTORY = Path.of(System.getProperty("strait.lock.dir", "/run/strait"));
    private final FileChannel channel;
    private final FileLock lock;

    private AddressLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock for {@code ip}; throws IllegalStateException with one clear line if another process holds it. */
    public static AddressLock acquire(int ip) {
        final String address = Ipv4.toString(ip);
        final Path path = DIRECTORY.resolve("ip-" + address + ".lock");
        try {
            Files.createDirectories(DIRECTORY);
            final FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            final FileLock lock = ch.tryLock();
            if (lock == null) {
                final String owner = Files.readString(path, StandardCharsets.US_ASCII).trim();
                ch.close();
                throw new IllegalStateException("address " + address + " is already taken by another Strait process"
                    + (owner.isEmpty() ? "" : " (pid " + owner + ")") + "; stop it or choose another --ip");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new AddressLock(ch, lock);
        } catch (IOException e) {
            throw new IllegalStateException("cannot lock " + path + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the kernel releases it at exit anyway
        }
    }
}
