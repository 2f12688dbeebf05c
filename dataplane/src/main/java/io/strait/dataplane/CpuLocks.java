package io.strait.dataplane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPUs this process's poll threads spin on, each held by an exclusive lock on
 * {@code /run/strait/cpu-N.lock} (with the owner's pid), so two Strait processes never silently spin on one CPU.
 * By default the last free CPUs of the process's mask are taken; CPUs given explicitly must be free, or the
 * process refuses with one line naming the owner. The kernel drops the locks when a process dies.
 */
final class CpuLocks implements AutoCloseable {
    private final int[] cpus;
    private final List<FileChannel> held;

    private CpuLocks(int[] cpus, List<FileChannel> held) {
        this.cpus = cpus;
        this.held = held;
    }

    int cpu(int core) {
        return cpus[core];
    }

    /**
     * @param allowed  the process's CPUs, ascending
     * @param explicit the CPUs asked for (null: choose), one per core
     */
    static CpuLocks acquire(int[] allowed, int[] explicit, int cores) {
        return acquire(allowed, explicit, cores, false);
    }

    /** {@link #acquire(int[], int[], int)}, choosing from the front of the mask when {@code fromFront}. */
    static CpuLocks acquire(int[] allowed, int[] explicit, int cores, boolean fromFront) {
        final List<FileChannel> held = new ArrayList<>();
        try {
            Files.createDirectories(AddressLock.DIRECTORY);
            if (explicit != null && explicit.length >= cores) {
                final int[] cpus = java.util.Arrays.copyOf(explicit, cores);
                for (int cpu : cpus) {
                    final String owner = tryLock(cpu, held);
                    if (owner != null) {
                        throw new IllegalStateException("CPU " + cpu + " already runs a poll thread of another Strait"
                            + " process" + owner + "; give other --cpus, or stop that process");
                    }
                }
                return new CpuLocks(cpus, held);
            }
            final int[] cpus = new int[cores];
            int found = 0;
            final StringBuilder busy = new StringBuilder();
            for (int k = 0; k < allowed.length && found < cores; k++) {
                final int cpu = allowed[fromFront ? k : allowed.length - 1 - k];
                final String owner = tryLock(cpu, held);
                if (owner == null) {
                    cpus[found++] = cpu;
                } else {
                    busy.append(busy.isEmpty() ? "" : ", ").append(cpu).append(owner);
                }
            }
            if (found < cores) {
                throw new IllegalStateException("no free CPU for " + cores + " poll thread(s) in this process's mask ("
                    + io.strait.bindings.Affinity.cpuList(allowed) + "): CPU " + busy + " run other Strait processes'"
                    + " poll threads; start with taskset on other CPUs or give --cpus");
            }
            java.util.Arrays.sort(cpus); // core q on the q-th of the CPUs taken: ascending
            return new CpuLocks(cpus, held);
        } catch (IOException e) {
            release(held);
            throw new IllegalStateException("cannot lock a CPU under " + AddressLock.DIRECTORY + ": " + e.getMessage());
        } catch (RuntimeException e) {
            release(held);
            throw e;
        }
    }

    /** Locks cpu-N; null when taken by us now, else " (pid P)" naming the holder. */
    private static String tryLock(int cpu, List<FileChannel> held) throws IOException {
        final Path path = AddressLock.DIRECTORY.resolve("cpu-" + cpu + ".lock");
        final FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        final FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            ch.close();
            return " (this process)";
        }
        if (lock == null) {
            final String owner = Files.readString(path, StandardCharsets.US_ASCII).trim();
            ch.close();
            return owner.isEmpty() ? "" : " (pid " + owner + ")";
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        held.add(ch);
        return null;
    }

    private static void release(List<FileChannel> held) {
        for (FileChannel ch : held) {
            try {
                ch.close(); // releases its lock
            } catch (IOException ignored) {
                // the kernel releases it at exit anyway
            }
        }
        held.clear();
    }

    @Override
    public void close() {
        release(held);
    }
}
