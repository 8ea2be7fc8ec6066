package dev.tether.cli;

import dev.tether.docker.EngineChoice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tether install}: a user service that runs {@code tether up} at login and restarts it if it fails. */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Installs tether as your user's service, enabled and started (systemd; launchd on macOS).",
                "Writes a systemd user unit (~/.config/systemd/user/tether.service), or a launchd agent on macOS, that runs",
                "`tether up` and restarts it on failure. Prints, never writes, the DOCKER_HOST line for your shell profile.",
                "Running it again changes nothing."})
final class Install implements Callable<Integer> {

    @Mixin
    SocketOption socket;

    @Mixin
    EngineOption engine;

    @Option(names = "--dry-run", description = "Show what would be written and run; change nothing.")
    boolean dryRun;

    @Option(names = "--no-start", description = "Write the service file only; do not call systemctl or launchctl.")
    boolean noStart;

    @Override
    public Integer call() throws Exception {
        ServiceManager manager = ServiceManager.ofThisMachine();
        Path path = socket.path();
        List<String> command = new ArrayList<>(List.of(Launcher.path().toString(), "up", "--socket", path.toString()));
        EngineChoice choice = engine.choice(path);
        Map<String, String> environment = new TreeMap<>();
        // The service reads ~/.docker itself at each start, and so follows `docker context use`; what came from this
        // shell it would not see, so that is written down: a context by its name (the service then reads its
        // endpoint and TLS files as the CLI does), an engine URL as --upstream with the TLS variables it was read with.
        switch (choice.rule()) {
            case DOCKER_CONTEXT -> passOn(environment, "DOCKER_CONTEXT", "DOCKER_CONFIG");
            case CURRENT_CONTEXT -> passOn(environment, "DOCKER_CONFIG");
            case FLAG, DOCKER_HOST -> {
                command.addAll(List.of("--upstream", choice.endpoint().uri()));
                if (choice.tls().isPresent()) {
                    passOn(environment, "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH", "DOCKER_CONFIG");
                }
            }
            case DEFAULT -> { }
        }
        Path file = manager.serviceFile();
        String content = manager.content(command, environment);
        boolean same = Files.isRegularFile(file) && Files.readString(file).equals(content);

        if (dryRun) {
            System.out.println(same ? file + " is up to date:" : "would write " + file + ":");
            System.out.print(content.indent(4));
            if (!noStart) {
                System.out.println("would run: " + ServiceManager.shellLine(manager.startCommands()));
            }
        } else {
            if (same) {
                System.out.println(file + " is up to date");
            } else {
                Files.createDirectories(file.getParent());
                Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
                Files.writeString(tmp, content);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                System.out.println("wrote " + file);
            }
            if (!noStart) {
                start(manager);
            }
        }
        System.out.println();
        System.out.println("Point Docker clients at it: add this line to your shell profile (~/.bashrc, ~/.zshrc, …):");
        System.out.println("  export DOCKER_HOST=unix://" + path);
        return 0;
    }

    private static void passOn(Map<String, String> environment, String... names) {
        for (String name : names) {
            String value = System.getenv(name);
            if (value != null && !value.isEmpty()) {
                environment.put(name, value);
            }
        }
    }

    private static void start(ServiceManager manager) {
        String later = ServiceManager.shellLine(manager.startCommands());
        if (!manager.toolInstalled()) {
            System.out.println((manager.macos() ? "launchctl" : "systemctl") + " is not on PATH, so nothing was started;"
                    + " where it is, run: " + later);
            return;
        }
        manager.execAll(manager.startCommands(), manager.macos() ? 1 : 0).ifPresentOrElse(
                failed -> System.out.println((manager.macos() ? "launchd" : "systemd's user manager")
                        + " is not running or not reachable here (" + failed.output() + "), so nothing was started;"
                        + " once it runs, run: " + later),
                () -> System.out.println(manager.macos() ? "loaded " + ServiceFiles.LAUNCHD_LABEL + " into launchd"
                        : "enabled and started " + ServiceFiles.SYSTEMD_UNIT + " (systemctl --user status tether)"));
    }
}
