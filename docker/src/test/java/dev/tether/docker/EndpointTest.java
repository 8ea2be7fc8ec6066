package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
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
        assertThatThrownBy(() -> Endpoint.parse("npipe:////./pipe/docker_engine"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported Docker endpoint")
                .hasMessageContaining("ssh://[USER@]HOST[:PORT]");
        assertThatThrownBy(() -> Endpoint.parse("docker.sock"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unix:///path/to/docker.sock");
    }

    @Test
    void sshUrlsAreReadByTheDockerClisRules() {
        assertThat(Endpoint.parse("ssh://me@engine.example")).isEqualTo(
                new Endpoint.Ssh(Optional.of("me"), "engine.example", OptionalInt.empty(), ""));
        assertThat(Endpoint.parse("ssh://engine:2222/run/user/1000/docker.sock")).isEqualTo(
                new Endpoint.Ssh(Optional.empty(), "engine", OptionalInt.of(2222), "/run/user/1000/docker.sock"));
        assertThat(Endpoint.parse("ssh://me@engine:2222").uri()).isEqualTo("ssh://me@engine:2222");
        assertThat(((Endpoint.Ssh) Endpoint.parse("ssh://me@engine:2222")).hostArgument()).isEqualTo("me@engine -p 2222");
        assertThatThrownBy(() -> Endpoint.parse("ssh://me:secret@engine"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a password in an ssh URL is not supported");
        assertThatThrownBy(() -> Endpoint.parse("ssh://engine?x=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no query");
        assertThatThrownBy(() -> Endpoint.parse("ssh://"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ssh://[USER@]HOST[:PORT]");
    }

    /** The docker CLI's own command (cli/connhelper/ssh): the same flags, the socket path only when given. */
    @Test
    void anSshEngineIsReachedWithTheDockerClisCommand() {
        assertThat(SshBridge.command((Endpoint.Ssh) Endpoint.parse("ssh://me@engine:2222"))).containsExactly(
                "ssh", "-o", "ConnectTimeout=30", "-T", "-l", "me", "-p", "2222", "--", "engine", "docker", "system", "dial-stdio");
        assertThat(SshBridge.command((Endpoint.Ssh) Endpoint.parse("ssh://engine/run/d.sock"))).containsExactly(
                "ssh", "-o", "ConnectTimeout=30", "-T", "--", "engine", "docker", "--host=unix:///run/d.sock", "system", "dial-stdio");
    }

    @Test
    void defaultEngineIsTheStandardSocket() {
        assertThat(Endpoints.DEFAULT_ENGINE.uri()).isEqualTo("unix:///var/run/docker.sock");
    }
}
