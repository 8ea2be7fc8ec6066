package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Large streamed bodies both ways, with the real CLIs: docker cp in and out, save and load, export, and builds
 * (legacy with a context, BuildKit's /session and /grpc upgrades).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamsIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final Duration SLOW = Duration.ofSeconds(100);

    private static Path big;
    private static String bigSha256;

    @BeforeAll
    static void makeABigRandomFile() throws IOException {
        big = tether.dir().resolve("big.bin");
        bigSha256 = writeRandom(big, 64 * 1024 * 1024, System.nanoTime());
    }

    /** Writes {@code size} pseudo-random bytes; returns their SHA-256 in hex. */
    private static String writeRandom(Path file, int size, long seed) throws IOException {
        var random = new SplittableRandom(seed);
        byte[] block = new byte[1024 * 1024];
        try (var out = Files.newOutputStream(file)) {
            for (int written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, Math.min(block.length, size - written));
            }
        }
        return sha256(file);
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ docker cp

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void dockerCpCopiesA64MiBFileInAndOutByteForByte(String binary) throws IOException {
        Cli cli = tether.cli(binary);
        String name = Engine.name("cp");
        Engine.runDetached(name, "sleep", "600");

        Cli.Result in = cli.run(SLOW, "cp", big.toString(), name + ":/tmp/big.bin");
        assertThat(in.exitCode()).as(in.describe()).isZero();

        Cli.Result inside = cli.run(SLOW, "exec", name, "sha256sum", "/tmp/big.bin");
        assertThat(inside.exitCode()).as(inside.describe()).isZero();
        assertThat(inside.out()).as("sha256 inside the container").startsWith(bigSha256 + " ");

        Path back = Files.createTempDirectory(tether.dir(), "cp-out").resolve("big.bin");
        Cli.Result out = cli.run(SLOW, "cp", name + ":/tmp/big.bin", back.toString());
        assertThat(out.exitCode()).as(out.describe()).isZero();
        assertThat(Files.size(back)).isEqualTo(Files.size(big));
        assertThat(Files.mismatch(big, back)).as("first differing byte").isEqualTo(-1L);
        Files.delete(back);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void dockerCpStreamsATarToStdoutAndFromStdin(String binary) {
        Cli cli = tether.cli(binary);
        String name = Engine.name("cp-tar");
        Engine.runDetached(name, "sleep", "600");

        Cli.Result tar = cli.run(SLOW, "cp", name + ":/bin/busybox", "-");
        assertThat(tar.exitCode()).as(tar.describe()).isZero();
        assertThat(new String(tar.stdout(), 257, 5, StandardCharsets.US_ASCII)).as("tar magic").isEqualTo("ustar");

        Cli.Result back = cli.run(tar.stdout(), SLOW, "cp", "-", name + ":/tmp");
        assertThat(back.exitCode()).as(back.describe()).isZero();
        Cli.Result cmp = cli.run(SLOW, "exec", name, "cmp", "/bin/busybox", "/tmp/busybox");
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }

    // ------------------------------------------------------------------ save / load / export

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void anImageSurvivesASaveAndLoadRoundTrip(String binary) {
        Cli cli = tether.cli(binary);

        Cli.Result save = cli.run(SLOW, "save", Engine.TEST_IMAGE);
        assertThat(save.exitCode()).as(save.describe()).isZero();
        assertThat(save.stdout().length).as("bytes saved").isGreaterThan(512 * 1024);
        assertThat(new String(save.stdout(), 257, 5, StandardCharsets.US_ASCII)).as("tar magic").isEqualTo("ustar");
        assertThat(new String(save.stdout(), StandardCharsets.ISO_8859_1)).contains("manifest.json");

        Cli.Result load = cli.run(save.stdout(), SLOW, "load");
        assertThat(load.exitCode()).as(load.describe()).isZero();
        assertThat(load.out()).as(load.describe()).contains("Loaded image: " + Engine.TEST_IMAGE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void dockerExportStreamsTheContainersFilesystem(String binary) {
        String name = Engine.name("export");
        Engine.create(name, Engine.containerSpec("true"));

        Cli.Result export = tether.cli(binary).run(SLOW, "export", name);

        assertThat(export.exitCode()).as(export.describe()).isZero();
        assertThat(export.stdout().length).as("bytes exported").isGreaterThan(512 * 1024);
        assertThat(new String(export.stdout(), StandardCharsets.ISO_8859_1)).contains("bin/busybox");
    }

    // ------------------------------------------------------------------ builds

    /** A build context: a Dockerfile that copies a random payload and runs a step, and the payload. */
    private static Path context(String marker, int payloadBytes) throws IOException {
        Path dir = Files.createTempDirectory(tether.dir(), "ctx");
        writeRandom(dir.resolve("payload.bin"), payloadBytes, System.nanoTime());
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + Engine.TEST_IMAGE + "\n"
                + "COPY payload.bin /payload.bin\n"
                + "RUN echo " + marker + " > /marker\n");
        return dir;
    }

    /** Runs the built image and checks its payload and the RUN step's marker. */
    private static void assertBuilt(Cli cli, String tag, Path ctx, String marker) throws IOException {
        Cli.Result r = cli.run(SLOW, "run", "--rm", "--label", Engine.labelArg(), "--network", "none", tag,
                "sh", "-c", "cat /marker; sha256sum /payload.bin");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out()).as(r.describe()).startsWith(marker + "\n" + sha256(ctx.resolve("payload.bin")) + " ");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tether.proxy.Cli#binaries")
    void aLegacyBuildSendsItsContextAndRunsItsSteps(String binary) throws IOException {
        Cli cli = tether.cli(binary).withEnv("DOCKER_BUILDKIT", "0");
        String tag = Engine.imageTag("legacy");
        String marker = "legacy-" + Engine.RUN_ID;
        Path ctx = context(marker, 16 * 1024 * 1024);
        try {
            // --network=none: the engine under test may have no bridge network
            Cli.Result build = cli.run(SLOW, "build", "--network=none", "--force-rm", "-t", tag, ctx.toString());

            assertThat(build.exitCode()).as(build.describe()).isZero();
            assertThat(build.out()).as(build.describe()).contains("Successfully tagged " + tag);
            assertBuilt(cli, tag, ctx, marker);
        } finally {
            Engine.removeImage(tag);
        }
    }

    @Test
    void aBuildKitBuildByTheDocker2010CliRunsThroughTheSessionUpgrades() throws IOException {
        // docker 20.10 has BuildKit built in; newer CLIs need the buildx plugin, which is not installed here
        Cli cli = tether.cli(Cli.OLD).withEnv("DOCKER_BUILDKIT", "1");
        Cli.Result version = cli.run(Duration.ofSeconds(30), "version", "--format", "{{.Client.Version}}");
        assertThat(version.out()).as(Cli.OLD + " must be Debian's docker 20.10, whose BuildKit is built in").startsWith("20.10.");
        String tag = Engine.imageTag("buildkit");
        String marker = "buildkit-" + Engine.RUN_ID;
        Path ctx = context(marker, 8 * 1024 * 1024);
        try {
            Cli.Result build = cli.run(SLOW, "build", "--network=none", "--progress=plain", "-t", tag, ctx.toString());

            assertThat(build.exitCode()).as(build.describe()).isZero();
            assertThat(build.stderr()).as(build.describe()).contains("naming to docker.io/" + tag);
            assertBuilt(cli, tag, ctx, marker);
        } finally {
            Engine.removeImage(tag);
        }
    }
}
