package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fresh clone's first command: {@code git clone} of this repository into a temporary folder, nothing built, then
 * {@code ./tether up --help} there, which builds the jar with the launcher's own build (scripts/build) and records
 * its AOT cache. A clone holds the committed tree only (HEAD of the repository at tether.root): uncommitted changes
 * are not checked here until they are committed. Maven runs offline ({@code .mvn/maven.config} in the clone) against
 * the local repository of the build running this test, which has already fetched all a package build needs, so CI
 * downloads nothing twice.
 */
@Timeout(1200)
class FreshCloneIT {

    /** A build from nothing on a loaded 2-core machine: minutes. */
    private static final Duration BUILD = Duration.ofMinutes(8);

    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "tether-clone");
    }

    @AfterEach
    void removeClone() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theFirstCommandInAFreshCloneBuildsAndRunsAndOnlyMainSourcesMakeItBuildAgain() throws Exception {
        Path root = Engine.root();
        // CI and developers run the suite in a git checkout: without one this test cannot do its job, so it fails.
        assertThat(root.resolve(".git")).as("%s must be a git checkout to clone it", root).exists();
        Path clone = dir.resolve("tether");
        Cli.Result cloned = command(dir, Duration.ofMinutes(2), "git", "clone", "--quiet", root.toString(), clone.toString());
        assertThat(cloned.exitCode()).as(cloned.toString()).isZero();
        Path jar = clone.resolve("cli/target/tether.jar");
        assertThat(clone.resolve("cli/target")).as("nothing built in a clone").doesNotExist();
        offline(clone);

        Cli.Result first = command(clone, BUILD, clone.resolve("tether").toString(), "up", "--help");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        assertThat(first.out()).contains("Usage: tether up").contains("Exit codes:");
        assertThat(first.stderr()).contains("tether: building");
        assertThat(jar).isRegularFile();
        assertThat(clone.resolve("cli/target/tether.aot")).as("the AOT cache of the training run: "
                + first.stderr()).isRegularFile();

        // A test edited after the build: the next command starts at once, with the same jar.
        FileTime built = Files.getLastModifiedTime(jar);
        FileTime later = FileTime.fromMillis(built.toMillis() + 2000);
        Files.setLastModifiedTime(clone.resolve("cli/src/test/java/dev/tether/cli/FreshCloneIT.java"), later);
        Cli.Result afterTestEdit = command(clone, BUILD, clone.resolve("tether").toString(), "up", "--help");
        assertThat(afterTestEdit.exitCode()).as(afterTestEdit.toString()).isZero();
        assertThat(afterTestEdit.stderr()).as("an edited test builds nothing").doesNotContain("building");
        assertThat(Files.getLastModifiedTime(jar)).isEqualTo(built);

        // A main source edited after the build: the next command builds again.
        Files.setLastModifiedTime(clone.resolve("cli/src/main/java/dev/tether/cli/Tether.java"), later);
        Cli.Result afterMainEdit = command(clone, BUILD, clone.resolve("tether").toString(), "up", "--help");
        assertThat(afterMainEdit.exitCode()).as(afterMainEdit.toString()).isZero();
        assertThat(afterMainEdit.stderr()).as("an edited main source builds again").contains("tether: building");
        assertThat(Files.getLastModifiedTime(jar)).isGreaterThan(later);
    }

    /** Maven reads .mvn/maven.config of the project it builds: offline, against this build's local repository. */
    private static void offline(Path clone) throws IOException {
        List<String> args = new ArrayList<>(List.of("-o"));
        String repo = System.getProperty("tether.mavenRepo");
        if (repo != null && !repo.isBlank() && !repo.contains(" ")) {
            args.add("-Dmaven.repo.local=" + repo);
        }
        Files.createDirectories(clone.resolve(".mvn"));
        Files.writeString(clone.resolve(".mvn/maven.config"), String.join("\n", args) + "\n");
    }

    private static Cli.Result command(Path directory, Duration deadline, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile());
        return new Cli.Running(String.join(" ", command), pb.start()).await(deadline);
    }
}
