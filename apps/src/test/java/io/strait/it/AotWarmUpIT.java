package io.strait.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12 (warm-up): {@code serve --aot --warmup}. The first run of a build records the JDK's AOT configuration
 * when it stops; the next run of the same build and JVM options assembles the cache from it and serves correctly
 * from it; the one after loads it as it is; a run with other JVM options records its own (the key covers the
 * jars' bytes, the JDK and the options, so a cache never outlives what it was recorded from). Latency is measured in bench/results/warmup-*, not here.
 */
class AotWarmUpIT {
    private static final String CLIENT = """
        import socket
        s = socket.create_connection(('198.18.0.2', 80), timeout=10)
        ok = 0
        for i in range(2000):
            s.sendall(b'GET / HTTP/1.1\\r\\nHost: strait\\r\\n\\r\\n')
            got = b''
            while not got.endswith(b'hello\\n'):
                b = s.recv(4096)
                if not b: break
                got += b
            ok += got.startswith(b'HTTP/1.1 200') and got.endswith(b'hello\\n')
        print(ok)
        """;

    @Test
    void firstRunRecordsTheNextAssemblesAndLoadsAnotherBuildRecordsAgain() throws Exception {
        final Path dir = Files.createTempDirectory("strait-aot");
        try {
            final List<String> env = List.of("env", "STRAIT_AOT_DIR=" + dir);
            try (StraitServer first = StraitServer.startWith(env, "--app", "http", "--warmup", "--aot")) {
                assertEquals("2000", Cmd.peer(120, "/usr/bin/python3", "-c", CLIENT).out().strip());
                first.stopClean();
                assertTrue(first.stderr().contains("this run records"), first.stderr());
                assertTrue(first.stderr().contains("warm-up: 200000 exchanges"), first.stderr());
            }
            final Path config = only(dir, ".aotconf");
            assertTrue(Files.size(config) > 1_000_000, "the recording was written at the stop: " + config);
            final String name = config.getFileName().toString();
            final Path cache = dir.resolve(name.substring(0, name.length() - ".aotconf".length()) + ".aot");
            try (StraitServer second = StraitServer.startWith(env, "--app", "http", "--warmup", "--aot")) {
                assertEquals("2000", Cmd.peer(120, "/usr/bin/python3", "-c", CLIENT).out().strip());
                second.stopClean();
                assertTrue(second.stderr().contains("assembling the AOT cache " + cache), second.stderr());
                assertTrue(second.stderr().contains("AOT cache " + cache + " (recorded by this build)"),
                    second.stderr());
            }
            assertEquals(cache, only(dir, ".aot"));
            try (StraitServer third = StraitServer.startWith(env, "--app", "http", "--aot")) {
                third.stopClean();
                assertTrue(third.stderr().contains("AOT cache " + cache + " (recorded by this build)"),
                    "loaded, not assembled again: " + third.stderr());
                assertTrue(!third.stderr().contains("assembling"), third.stderr());
            }
            final List<String> otherOptions = List.of("env", "STRAIT_AOT_DIR=" + dir, "STRAIT_JAVA_OPTS=-Dx=1");
            try (StraitServer fourth = StraitServer.startWith(otherOptions, "--app", "http", "--aot")) {
                fourth.stopClean();
                assertTrue(fourth.stderr().contains("this run records"), "other JVM options, other key: "
                    + fourth.stderr());
            }
            final Path otherConfig = only(dir, ".aotconf");
            assertTrue(!otherConfig.equals(config), "a new recording under a new key: " + otherConfig);
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.noneMatch(f -> f.equals(cache)), "the other key's cache is removed");
            }
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static Path only(Path dir, String suffix) throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir)) {
            final List<Path> found = files.filter(f -> f.toString().endsWith(suffix)).toList();
            assertEquals(1, found.size(), "one " + suffix + ": " + found);
            return found.get(0);
        }
    }
}
