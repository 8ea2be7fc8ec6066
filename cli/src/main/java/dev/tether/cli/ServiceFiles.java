package dev.tether.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code tether install} writes: a systemd user unit on Linux, a launchd agent on macOS. Pure text and paths, no
 * I/O, so the content is tested as is.
 */
final class ServiceFiles {

    static final String SYSTEMD_UNIT = "tether.service";
    static final String LAUNCHD_LABEL = "dev.tether";
    /** Longer than tether's default --drain (10 s): a stop lets open sessions finish before the manager kills. */
    static final int STOP_TIMEOUT_SECONDS = 30;

    private ServiceFiles() {}

    /** {@code $XDG_CONFIG_HOME/systemd/user/tether.service}, else under {@code ~/.config}, as systemd reads them. */
    static Path systemdUnitPath(UserDirs dirs) {
        return dirs.configHome().resolve("systemd/user").resolve(SYSTEMD_UNIT);
    }

    /** The symlink {@code systemctl --user enable} makes for {@code WantedBy=default.target}. */
    static Path systemdWantsLink(Path unit) {
        return unit.resolveSibling("default.target.wants").resolve(SYSTEMD_UNIT);
    }

    static Path launchdPlistPath(Path home) {
        return home.resolve("Library/LaunchAgents").resolve(LAUNCHD_LABEL + ".plist");
    }

    /**
     * @param command the launcher and its arguments: {@code /…/tether up --socket …}
     * @param environment variables the service needs from the shell that installed it (the engine's TLS, its context)
     */
    static String systemdUnit(List<String> command, Map<String, String> environment) {
        String env = environment.entrySet().stream()
                .map(e -> "Environment=" + systemdAssignment(e.getKey() + "=" + e.getValue()) + "\n").collect(Collectors.joining());
        return """
                # Written by `tether install`; `tether uninstall` stops and removes it.
                [Unit]
                Description=tether: ties every Docker container to the process that started it

                [Service]
                Type=simple
                %sExecStart=%s
                Restart=on-failure
                RestartSec=2
                # SIGTERM: tether stops accepting, then lets open sessions finish for up to --drain (10s).
                KillSignal=SIGTERM
                TimeoutStopSec=%d

                [Install]
                WantedBy=default.target
                """.formatted(env, command.stream().map(ServiceFiles::systemdWord).collect(Collectors.joining(" ")),
                STOP_TIMEOUT_SECONDS);
    }

    /**
     * @param log where launchd sends tether's stdout and stderr
     * @param environment as for {@link #systemdUnit}
     */
    static String launchdPlist(List<String> command, Path log, Map<String, String> environment) {
        String arguments = command.stream().map(a -> "    <string>" + xml(a) + "</string>\n").collect(Collectors.joining());
        String env = environment.isEmpty() ? "" : "  <key>EnvironmentVariables</key>\n  <dict>\n"
                + environment.entrySet().stream().map(e -> "    <key>" + xml(e.getKey()) + "</key>\n    <string>" + xml(e.getValue())
                        + "</string>\n").collect(Collectors.joining()) + "  </dict>\n";
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
                <!-- Written by `tether install`; `tether uninstall` stops and removes it. -->
                <plist version="1.0">
                <dict>
                  <key>Label</key>
                  <string>%s</string>
                  <key>ProgramArguments</key>
                  <array>
                %s  </array>
                %s  <key>RunAtLoad</key>
                  <true/>
                  <key>KeepAlive</key>
                  <dict>
                    <key>SuccessfulExit</key>
                    <false/>
                  </dict>
                  <key>ExitTimeOut</key>
                  <integer>%d</integer>
                  <key>StandardOutPath</key>
                  <string>%s</string>
                  <key>StandardErrorPath</key>
                  <string>%s</string>
                </dict>
                </plist>
                """.formatted(LAUNCHD_LABEL, arguments, env, STOP_TIMEOUT_SECONDS, xml(log.toString()), xml(log.toString()));
    }

    /**
     * One ExecStart word: plain when it can be, else double-quoted with C escapes. {@code %} is a specifier and
     * {@code $} a variable to systemd, so both are doubled.
     */
    static String systemdWord(String word) {
        String escaped = word.replace("%", "%%").replace("$", "$$");
        if (!escaped.isEmpty() && escaped.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '\'' || c == '\\' || c == ';')) {
            return escaped;
        }
        return "\"" + escaped.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }

    /** An Environment= assignment, always quoted; {@code %} is a specifier to systemd, {@code $} is not expanded there. */
    static String systemdAssignment(String assignment) {
        return "\"" + assignment.replace("%", "%%").replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
