package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** tether stopping (SIGTERM): no new clients, idle connections closed, open sessions allowed to finish. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DrainIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    @Test
    void aDrainRefusesNewClientsClosesIdleOnesAndLetsAnOpenSessionFinish() throws Exception {
        DockerProxy proxy = tether.startProxy(ProxyConfig.of(tether.dir().resolve("drain.sock"), Engine.endpoint()));
        Cli.requireInstalled(Cli.NEW);
        Cli cli = new Cli(Cli.NEW, proxy.socket());
        try (RawHttp idle = RawHttp.connect(proxy.socket());
             Cli.Running session = cli.start("run", "-i", "--rm", "--network", "none", "--label", Engine.labelArg(),
                     "--name", Engine.name("drain"), Engine.TEST_IMAGE, "cat")) {
            assertThat(idle.exchange(RawHttp.request("GET", "/_ping")).status()).isEqualTo(200);
            session.write("before\n");
            session.awaitStdout("before", Duration.ofSeconds(30));

            Duration grace = Duration.ofSeconds(60);
            CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> proxy.drain(grace));

            awaitGone(proxy);
            assertThatThrownBy(() -> RawHttp.connect(proxy.socket())).as("a new client during the drain");
            assertThat(idle.awaitEof()).as("the idle keep-alive connection is closed").isTrue();
            session.write("during\n");
            session.awaitStdout("during", Duration.ofSeconds(30));

            session.closeStdin();
            Cli.Result result = session.await(Duration.ofSeconds(30));
            assertThat(result.exitCode()).as(result.describe()).isZero();
            assertThat(result.out()).isEqualTo("before\nduring\n");
            // Well inside the grace: the drain ended because the last session did.
            drained.get(30, TimeUnit.SECONDS);
            assertThat(proxy.openConnections()).isZero();
        }
    }

    private static void awaitGone(DockerProxy proxy) {
        Instant deadline = Instant.now().plusSeconds(10);
        while (Files.exists(proxy.socket())) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the socket is still there 10 s into the drain");
            }
            Engine.pause();
        }
    }
}
