package dev.tether.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The launcher script a service should start: the one that ran this JVM (it says so), else the repository's. */
final class Launcher {

    private Launcher() {}

    static Path path() throws IOException {
        String told = System.getProperty("tether.launcher");
        if (told != null && !told.isBlank()) {
            return Path.of(told).toRealPath();
        }
        try {
            // cli/target/tether.jar in the repository, with ./tether two levels up
            Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path candidate = jar.getParent().getParent().getParent().resolve("tether");
            if (Files.isExecutable(candidate)) {
                return candidate.toRealPath();
            }
        } catch (URISyntaxException | NullPointerException ignored) {
            // no jar location: said below
        }
        throw new IllegalStateException("cannot tell where the tether launcher is: run this through it (./tether install)");
    }
}
