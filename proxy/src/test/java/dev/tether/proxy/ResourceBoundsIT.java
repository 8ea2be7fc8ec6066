package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connections come and go by the thousand; tether keeps no descriptor and no connection of theirs. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ResourceBoundsIT {

    private static final int CONNECTIONS = 10_000;

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    @Test
    void tenThousandConnectionsOpenedAndClosedLeaveNoDescriptorBehind() {
        // Warm up, so the event loops, pools and the engine client exist before the count is taken.
        for (int i = 0; i < 50; i++) {
            try (RawHttp http = tether.connect()) {
                http.exchange(RawHttp.request("GET", "/_ping"));
            }
        }
        TetherExtension.awaitValue(() -> tether.proxy().openConnections(), 0, "open connections", Duration.ofSeconds(10));
        int before = openDescriptors();

        for (int i = 0; i < CONNECTIONS; i++) {
            try (RawHttp http = tether.connect()) {
                switch (i % 4) {
                    case 0 -> assertThat(http.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);
                    // Gone mid-head, mid-body, and right after the request without reading the answer.
                    case 1 -> http.write("GET /_ping HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1));
                    case 2 -> http.write(("POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 100\r\n\r\n{\"Image\":").getBytes(StandardCharsets.ISO_8859_1));
                    default -> http.write(RawHttp.request("GET", "/version").bytes());
                }
            }
        }

        TetherExtension.awaitValue(() -> tether.proxy().openConnections(), 0, "open connections after " + CONNECTIONS,
                Duration.ofSeconds(30));
        awaitAtMost(before, Duration.ofSeconds(30));
        try (RawHttp http = tether.connect()) {
            assertThat(http.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);
        }
    }

    /** tether runs in this JVM: its sockets are this process's descriptors. */
    private static int openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitAtMost(int limit, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        int now;
        while ((now = openDescriptors()) > limit) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(now + " descriptors open after " + CONNECTIONS + " connections, " + limit
                        + " before");
            }
            Engine.pause();
        }
    }
}
