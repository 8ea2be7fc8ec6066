package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.docker.Endpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a user sees when tether cannot do what was asked: an engine that is gone, a create body it refuses. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ErrorsIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    /** A proxy whose upstream socket does not exist. */
    private static DockerProxy deadUpstream() throws IOException {
        Path nothing = tether.dir().resolve("nothing.sock");
        return tether.startProxy("dead-" + System.nanoTime() % 100000 + ".sock", new Endpoint.Unix(nothing));
    }

    @Test
    void aPingThroughADeadUpstreamGets502NamingTheUpstream() throws IOException {
        DockerProxy dead = deadUpstream();

        try (RawHttp http = RawHttp.connect(dead.socket())) {
            RawHttp.Response r = http.exchange(RawHttp.request("GET", "/_ping"));

            assertThat(r.status()).as(r.toString()).isEqualTo(502);
            assertThat(r.head().header("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
            String message = r.json().path("message").asText();
            assertThat(message).startsWith("tether:").contains(tether.dir().resolve("nothing.sock").toString());
        }
    }

    @Test
    void aHeadPingThroughADeadUpstreamGets502WithoutABody() throws IOException {
        DockerProxy dead = deadUpstream();

        try (RawHttp http = RawHttp.connect(dead.socket())) {
            RawHttp.Response head = http.exchange(RawHttp.request("HEAD", "/_ping"));
            assertThat(head.status()).isEqualTo(502);

            if (head.head().header("Connection").filter(v -> v.equalsIgnoreCase("close")).isPresent()) {
                assertThat(new String(http.readToEof(), java.nio.charset.StandardCharsets.UTF_8))
                        .as("bytes after the head of an answer to HEAD (which has no body)").isEmpty();
            } else {
                // the connection is still in step: a GET after the HEAD gets its own answer
                RawHttp.Response get = http.exchange(RawHttp.request("GET", "/_ping"));
                assertThat(get.status()).isEqualTo(502);
                assertThat(get.json().path("message").asText()).startsWith("tether:");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void dockerVersionThroughADeadUpstreamShowsTethersMessage(String binary) throws IOException {
        DockerProxy dead = deadUpstream();
        Cli.requireInstalled(binary);

        Cli.Result r = new Cli(binary, dead.socket()).run(Duration.ofSeconds(30), "version");

        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).as(r.describe()).contains("tether:").contains("nothing.sock");
    }

    @Test
    void aMalformedCreateBodyGets400WithAJsonMessage() {
        String name = Engine.name("malformed");
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/containers/create?name=" + name)
                .json("{\"Image\":\"" + Engine.TEST_IMAGE + "\",\"Labels\":{\"" + Engine.TEST_LABEL + "\":"));

        JsonNode json = r.json();
        assertThat(json.path("message").asText()).as(r.toString()).isNotBlank();
        assertThat(Engine.find(name)).as("no container created").isEmpty();
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
    }

    @Test
    void aCreateBodyThatIsNotAnObjectGets400WithAJsonMessage() {
        String name = Engine.name("not-object");
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/containers/create?name=" + name).json("[\"" + Engine.TEST_IMAGE + "\"]"));

        assertThat(r.json().path("message").asText()).as(r.toString()).isNotBlank();
        assertThat(Engine.find(name)).as("no container created").isEmpty();
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
    }

    @Test
    void aCreateBodyOverOneMebibyteGets413() {
        String name = Engine.name("huge");
        String big = "x".repeat(1024 * 1024 + 100);
        byte[] request = RawHttp.request("POST", "/containers/create?name=" + name)
                .json("{\"Image\":\"" + Engine.TEST_IMAGE + "\",\"Labels\":{\"" + Engine.TEST_LABEL + "\":\"" + Engine.RUN_ID
                        + "\",\"it.big\":\"" + big + "\"}}")
                .bytes();

        try (RawHttp http = tether.connect()) {
            try {
                http.write(request);
            } catch (UncheckedIOException e) {
                // tether may answer and close before it has read the whole body
            }
            RawHttp.Head head = http.readHead();
            assertThat(head.status()).as(head.statusLine()).isEqualTo(413);
        }
        assertThat(Engine.find(name)).as("no container created").isEmpty();
    }
}
