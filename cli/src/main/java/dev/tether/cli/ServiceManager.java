package dev.tether.cli;

import com.sun.security.auth.module.UnixSystem;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where {@code tether install} and {@code uninstall} put the service and how they tell the user's service manager:
 * systemd's user manager on Linux, launchd on macOS. A manager that is absent or not running is said, with the
 * commands to run later, and is no failure.
 */
final class ServiceManager {

    /** @param ok whether the command ran and exited 0; {@code output} says what it printed, or why it did not run */
    record Outcome(boolean ok, String output) {}

    private final UserDirs dirs;
    private final boolean macos;

    private ServiceManager(UserDirs dirs) {
        this.dirs = dirs;
        this.macos = dirs.isMac();
    }

    static ServiceManager ofThisMachine() {
        return new ServiceManager(UserDirs.current());
    }

    boolean macos() {
        return macos;
    }

    Path home() {
        return dirs.home();
    }

    Path serviceFile() {
        return macos ? ServiceFiles.launchdPlistPath(dirs.home()) : ServiceFiles.systemdUnitPath(dirs);
    }

    String content(List<String> command, Map<String, String> environment) {
        return macos ? ServiceFiles.launchdPlist(command, dirs.home().resolve("Library/Logs/tether.log"), environment)
                : ServiceFiles.systemdUnit(command, environment);
    }

    /** The commands that start the service once its file is written. */
    List<List<String>> startCommands() {
        return macos
                ? List.of(List.of("launchctl", "bootout", "gui/" + uid() + "/" + ServiceFiles.LAUNCHD_LABEL),
                        List.of("launchctl", "bootstrap", "gui/" + uid(), serviceFile().toString()))
                : List.of(List.of("systemctl", "--user", "daemon-reload"),
                        List.of("systemctl", "--user", "enable", "--now", ServiceFiles.SYSTEMD_UNIT));
    }

    /** The commands that stop the service before its file goes. */
    List<List<String>> stopCommands() {
        return macos
                ? List.of(List.of("launchctl", "bootout", "gui/" + uid() + "/" + ServiceFiles.LAUNCHD_LABEL))
                : List.of(List.of("systemctl", "--user", "disable", "--now", ServiceFiles.SYSTEMD_UNIT));
    }

    List<String> reloadCommand() {
        return macos ? List.of() : List.of("systemctl", "--user", "daemon-reload");
    }

    /** Whether the manager's command-line tool is on PATH at all. */
    boolean toolInstalled() {
        String tool = macos ? "launchctl" : "systemctl";
        for (String dir : dirs.get("PATH").orElse("").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    Outcome exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(false, String.join(" ", command) + " did not finish within 60 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return new Outcome(p.exitValue() == 0, out);
        } catch (IOException e) {
            return new Outcome(false, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted");
        }
    }

    /** Runs each command in turn; the first failure ends the run. {@code mayFail} commands are run but not judged. */
    Optional<Outcome> execAll(List<List<String>> commands, int mayFail) {
        for (int i = 0; i < commands.size(); i++) {
            Outcome outcome = exec(commands.get(i));
            if (!outcome.ok() && i >= mayFail) {
                return Optional.of(new Outcome(false, String.join(" ", commands.get(i)) + ": "
                        + (outcome.output().isEmpty() ? "failed" : outcome.output().lines().findFirst().orElse(""))));
            }
        }
        return Optional.empty();
    }

    /** The commands as one line to paste into a shell. */
    static String shellLine(List<List<String>> commands) {
        return String.join(" && ", commands.stream().map(Shell::line).toList());
    }

    private static long uid() {
        return new UnixSystem().getUid();
    }
}
