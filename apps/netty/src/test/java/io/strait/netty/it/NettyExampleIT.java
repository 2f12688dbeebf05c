package io.strait.netty.it;

import io.strait.it.Cmd;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: the README's "Netty on Strait" example runs as written, from the strait-netty jar and its dependencies
 * only (the DPDK shim comes out of the bindings jar: no -Dstrait.shim), and serves curl.
 */
class NettyExampleIT {
    @Test
    void readmeNettyExampleServesCurl() throws Exception {
        final String jdk = Cmd.run(30, "bash", "-c", "source setup/lib.sh && find_jdk").out().strip();
        final String flags = Cmd.run(30, "bash", "-c", "source setup/lib.sh && jvm_flags").out().strip();
        final List<String> argv = new ArrayList<>(List.of(jdk + "/bin/java"));
        argv.addAll(List.of(flags.split(" ")));
        argv.addAll(List.of("-cp", Cmd.ROOT.resolve("apps/netty/target/strait-netty-0.1.0-SNAPSHOT.jar") + ":"
            + Cmd.ROOT.resolve("apps/netty/target/lib/*"), "io.strait.netty.examples.NettyHttpExample", "30000"));
        final ProcessBuilder pb = new ProcessBuilder(argv).directory(java.nio.file.Files.createTempDirectory(
            "strait-example").toFile()).redirectErrorStream(true); // not the checkout: no target/native nearby
        pb.environment().remove("STRAIT_HOME");
        final Process p = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            final StringBuilder seen = new StringBuilder();
            while ((line = r.readLine()) != null && !line.startsWith("READY")) {
                seen.append(line).append('\n');
            }
            assertTrue(line != null, "example printed READY: " + seen);
            final Cmd.Result get = Cmd.peer(30, "curl", "-s", "http://198.18.0.2:8080/");
            assertEquals("hello\n", get.out(), get.toString());
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
