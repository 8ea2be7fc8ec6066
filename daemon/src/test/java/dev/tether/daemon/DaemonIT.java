package dev.tether.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.docker.Endpoint;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The running tether as one object, against the real engine: it serves both sockets, reports itself on
 * {@code /status}, and stops in an order that leaves its socket free for the next one. It never reaps here
 * ({@link Settings#reaps} false): other tests' containers on this engine are not its to judge.
 */
@Timeout(120)
class DaemonIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;

    @BeforeEach
    void folder() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "daemon");
    }

    @AfterEach
    void clean() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void servesReportsItselfAndStopsLeavingTheSocketFree() throws Exception {
        Settings settings = settings("d.sock");
        Daemon daemon = Daemon.start(settings);
        try {
            assertThat(Files.exists(daemon.socket())).as("the Docker socket").isTrue();
            assertThat(get(daemon.socket(), "/_ping")).contains("HTTP/1.1 200").endsWith("OK");

            JsonNode status = JSON.readTree(body(get(daemon.controlSocket(), "/status")));
            assertThat(status.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
            assertThat(status.path("socket").asText()).isEqualTo(daemon.socket().toString());
            assertThat(status.path("journal").asText()).isEqualTo(settings.auditLog().toString());
            assertThat(status.path("upstream").asText()).isEqualTo("unix:///var/run/docker.sock");
            assertThat(status.path("reapsSinceStart").asLong()).isZero();
        } finally {
            daemon.stop();
        }

        assertThat(Files.exists(daemon.socket())).as("the socket is gone once stopped").isFalse();
        assertThat(Files.exists(daemon.controlSocket())).as("the control socket too").isFalse();
        Daemon next = Daemon.start(settings);
        try {
            assertThat(get(next.socket(), "/_ping")).endsWith("OK");
        } finally {
            next.stop();
        }
    }

    @Test
    void aSecondDaemonOnTheSameSocketIsRefusedAndTheFirstServesOn() throws Exception {
        Settings settings = settings("one.sock");
        Daemon first = Daemon.start(settings);
        try {
            assertThatThrownBy(() -> Daemon.start(settings)).hasMessageContaining(settings.socket().toString());
            assertThat(get(first.socket(), "/_ping")).endsWith("OK");
        } finally {
            first.stop();
        }
    }

    @Test
    void stopIsIdempotent() throws Exception {
        Daemon daemon = Daemon.start(settings("s.sock"));
        daemon.stop();
        daemon.stop(); // a shutdown hook after an explicit stop: nothing to do, nothing thrown
        assertThat(Files.exists(daemon.socket())).isFalse();
    }

    private Settings settings(String socket) {
        Settings defaults = Settings.defaults(dir.resolve(socket), Endpoint.parse("unix:///var/run/docker.sock"),
                dir.resolve("audit.jsonl"));
        return new Settings(defaults.socket(), defaults.socketGroup(), defaults.engine(), defaults.forcedTie(),
                defaults.grace(), defaults.sweepInterval(), defaults.headTimeout(), Durations.parse("1s"),
                defaults.mcpDefaults(), defaults.auditLog(), defaults.allowedUids(), defaults.tcp(), false,
                defaults.guardCgroup());
    }

    /** One GET over a unix socket, the connection closed after it: the whole answer, head and body. */
    private static String get(Path socket, String path) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            StringBuilder answer = new StringBuilder();
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                answer.append(StandardCharsets.UTF_8.decode(buffer));
                buffer.clear();
            }
            return answer.toString();
        }
    }

    private static String body(String answer) {
        return answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }
}
