package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad HTTP from one client: it gets a clear 4xx from tether, its own connection ends, and a bystander's keep-alive
 * connection opened before it goes on working.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedRequestsIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static RawHttp bystander;

    @BeforeAll
    static void openBystander() {
        bystander = tether.connect();
        assertThat(bystander.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);
    }

    @AfterAll
    static void closeBystander() {
        bystander.close();
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("garbage bytes", 400, "\u0000\u0001\u0002garbage\r\n\r\n"),
                Arguments.of("a request line without a target", 400, "GET\r\n\r\n"),
                Arguments.of("a create with a bad chunk size", 400, "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
                // The engine already has this head and waits for the body: tether must end that request too.
                Arguments.of("a build with a bad chunk size", 400, "POST /build?q=1 HTTP/1.1\r\nHost: d\r\n"
                        + "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + "x".repeat(16)
                        + "\r\nzz\r\n"),
                Arguments.of("Content-Length with Transfer-Encoding (smuggling)", 400, "POST /containers/prune HTTP/1.1\r\n"
                        + "Host: d\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("two different Content-Lengths", 400, "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                        + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
                Arguments.of("a negative Content-Length", 400, "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                        + "Content-Length: -1\r\n\r\n{}"),
                Arguments.of("a Transfer-Encoding other than chunked", 400, "POST /containers/prune HTTP/1.1\r\nHost: d\r\n"
                        + "Transfer-Encoding: gzip\r\n\r\n"),
                Arguments.of("an obsolete folded header line", 400, "GET /_ping HTTP/1.1\r\nHost: d\r\n folded\r\n\r\n"),
                Arguments.of("a space before a header's colon", 400, "GET /_ping HTTP/1.1\r\nHost: d\r\n"
                        + "Content-Length : 0\r\n\r\n"),
                // Written whole before the answer is read: tether reads on after answering, so the write succeeds.
                Arguments.of("a head over 1 MiB", 431, "GET /_ping HTTP/1.1\r\nHost: d\r\nX-Big: " + "a".repeat(2 << 20)
                        + "\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void aMalformedRequestGetsAJsonErrorAndOnlyItsConnectionEnds(String what, int status, String request) {
        try (RawHttp http = tether.connect()) {
            http.write(request.getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Head head = http.readHead();
            byte[] body = http.readBody(head, "GET");

            assertThat(head.status()).as(what + ": " + head.statusLine()).isEqualTo(status);
            assertThat(head.header("Content-Type")).hasValue("application/json");
            String message = RawHttp.JSON.readTree(body).path("message").asText();
            assertThat(message).as(what).startsWith("tether: ");
            assertThat(http.awaitEof()).as("the connection ends after the error").isTrue();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(bystander.exchange(RawHttp.request("GET", "/_ping")).status())
                .as("another client's keep-alive connection, after " + what).isEqualTo(200);
    }

    @Test
    void aClientThatEndsItsSideMidHeadIsClosedAtOnceNotAfterTheHeadTimeout() {
        // The head timeout is 30 s: the connection must end well before it, as the engine ends such a connection.
        Instant start = Instant.now();
        try (RawHttp http = tether.connect().timeout(Duration.ofSeconds(10))) {
            http.write("GET /_ping HTTP/1.1\r\nHo".getBytes(StandardCharsets.ISO_8859_1));
            http.shutdownOutput();
            assertThat(http.readToEof()).as("no answer, as Go's server gives none").isEmpty();
        }
        assertThat(Duration.between(start, Instant.now())).isLessThan(ProxyConfig.HEAD_TIMEOUT.dividedBy(3));
        assertThat(bystander.exchange(RawHttp.request("GET", "/_ping")).status())
                .as("another client's keep-alive connection").isEqualTo(200);
    }

    @Test
    void aHeadThatNeverEndsGets408AfterTheHeadTimeoutWhileIdleConnectionsAndSilentStreamsStayOpen() throws IOException {
        Duration timeout = Duration.ofSeconds(1);
        DockerProxy proxy = tether.startProxy(ProxyConfig.of(tether.dir().resolve("head-timeout.sock"), Engine.endpoint())
                .withHeadTimeout(timeout));
        String label = Engine.TEST_LABEL + "=" + Engine.RUN_ID + "-silent";
        try (RawHttp idle = RawHttp.connect(proxy.socket());
             RawHttp events = RawHttp.connect(proxy.socket()).timeout(Duration.ofSeconds(30));
             RawHttp stalled = RawHttp.connect(proxy.socket()).timeout(Duration.ofSeconds(30))) {
            assertThat(idle.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);
            events.write(RawHttp.request("GET", "/events?filters=" + Engine.encode("{\"label\":[\"" + label + "\"]}"))
                    .bytes());
            assertThat(events.readHead().status()).isEqualTo(200);

            stalled.write("GET /_ping HTTP/1.1\r\nHost: d\r\n".getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Head head = stalled.readHead();
            String message = RawHttp.JSON.readTree(stalled.readBody(head, "GET")).path("message").asText();

            assertThat(head.status()).isEqualTo(408);
            assertThat(message).startsWith("tether: the request head did not end within 1 s");
            // The idle connection and the silent stream both outlived the timeout that fired above.
            assertThat(idle.exchange(RawHttp.request("GET", "/_ping")).status()).as("idle keep-alive").isEqualTo(200);
            var spec = Engine.containerSpec("true");
            spec.with("Labels").put(Engine.TEST_LABEL, Engine.RUN_ID + "-silent");
            Engine.create(Engine.name("silent-stream"), spec);
            assertThat(new String(events.readUntilContains("\"create\""), StandardCharsets.UTF_8))
                    .as("the silent events stream still delivers").contains(Engine.RUN_ID + "-silent");
        }
    }
}
