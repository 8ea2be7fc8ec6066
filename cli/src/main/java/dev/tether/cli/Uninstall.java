package dev.tether.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tether uninstall}: stops and removes what {@code tether install} set up. */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = {"Stops, disables and removes the service `tether install` wrote. Running it again changes nothing.",
                "Your shell profile is yours: remove the DOCKER_HOST line yourself."})
final class Uninstall implements Callable<Integer> {

    @Option(names = "--dry-run", description = "Show what would be run and removed; change nothing.")
    boolean dryRun;

    @Option(names = "--no-stop", description = "Remove the service file only; do not call systemctl or launchctl.")
    boolean noStop;

    @Override
    public Integer call() throws Exception {
        ServiceManager manager = ServiceManager.ofThisMachine();
        Path file = manager.serviceFile();
        Path wants = manager.macos() ? null : ServiceFiles.systemdWantsLink(file);
        boolean linked = wants != null && Files.isSymbolicLink(wants);
        if (!Files.exists(file) && !linked) {
            System.out.println("no " + file + ": nothing to remove");
            return 0;
        }
        if (dryRun) {
            if (!noStop) {
                System.out.println("would run: " + ServiceManager.shellLine(manager.stopCommands()));
            }
            System.out.println("would remove " + file + (linked ? " and " + wants : ""));
            return 0;
        }
        boolean stopped = noStop || stop(manager);
        // What `systemctl disable` removes, in case it could not run: no dangling link is left behind.
        if (linked && Files.isSymbolicLink(wants)) {
            Files.delete(wants);
        }
        Files.deleteIfExists(file);
        System.out.println("removed " + file);
        if (stopped && !noStop && !manager.reloadCommand().isEmpty()) {
            manager.exec(manager.reloadCommand());
        }
        return 0;
    }

    private static boolean stop(ServiceManager manager) {
        String later = ServiceManager.shellLine(manager.stopCommands());
        if (!manager.toolInstalled()) {
            System.out.println((manager.macos() ? "launchctl" : "systemctl") + " is not on PATH: nothing to stop");
            return false;
        }
        return manager.execAll(manager.stopCommands(), 0).map(failed -> {
            System.out.println((manager.macos() ? "launchd" : "systemd's user manager") + " is not running or not reachable"
                    + " here (" + failed.output() + "), so nothing was stopped; if tether runs as a service there, run: " + later);
            return false;
        }).orElseGet(() -> {
            System.out.println("stopped and disabled tether's service");
            return true;
        });
    }
}
