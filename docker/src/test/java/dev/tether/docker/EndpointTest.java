package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EndpointTest {

    @Test
    void unixSocketsAreReadAsUrlsOrBarePaths() {
        assertThat(Endpoint.parse("unix:///var/run/docker.sock")).isEqualTo(new Endpoint.Unix(Path.of("/var/run/docker.sock")));
        assertThat(Endpoint.parse("  /run/user/1000/docker.sock ")).isEqualTo(new Endpoint.Unix(Path.of("/run/user/1000/docker.sock")));
        assertThat(Endpoint.parse("unix:///a/../b/docker.sock").uri()).as("normalized").isEqualTo("unix:///b/docker.sock");
    }

    @Test
    void tcpAndHttpAddressesAreReadWithTheEnginesDefaultPort() {
        assertThat(Endpoint.parse("tcp://10.0.0.5:2376")).isEqualTo(new Endpoint.Tcp("10.0.0.5", 2376));
        assertThat(Endpoint.parse("http://localhost:2375")).isEqualTo(new Endpoint.Tcp("localhost", 2375));
        assertThat(Endpoint.parse("tcp://engine.local")).isEqualTo(new Endpoint.Tcp("engine.local", 2375));
        assertThat(new Endpoint.Tcp("engine.local", 2375).uri()).isEqualTo("tcp://engine.local:2375");
    }

    @Test
    void whatIsNotAnEndpointIsRefusedSayingWhatWasExpected() {
        assertThatThrownBy(() -> Endpoint.parse("unix://relative/docker.sock"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unix:///absolute/path");
        assertThatThrownBy(() -> Endpoint.parse("unix://"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unix:///absolute/path");
        assertThatThrownBy(() -> Endpoint.parse("tcp://:2375"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcp://HOST:PORT");
        assertThatThrownBy(() -> Endpoint.parse("ssh://me@engine"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported Docker endpoint 'ssh://me@engine'");
        assertThatThrownBy(() -> Endpoint.parse("docker.sock"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unix:///path/to/docker.sock");
    }

    @Test
    void defaultEngineIsTheStandardSocket() {
        assertThat(Endpoints.DEFAULT_ENGINE.uri()).isEqualTo("unix:///var/run/docker.sock");
    }
}
