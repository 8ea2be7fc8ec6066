package dev.tether.guard;

import dev.tether.labeler.ProcessId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One guard as the launcher registers it: the file {@code <socket>.guards/<id>}, one line, newline-terminated:
 * {@code host=PID-START server=PID-START grace=DURATION|- cgroup=PATH|-}. The id is the server's own
 * {@code PID-START} (the launcher's bash, which then execs the server: same pid, same start time), and the marker
 * {@code TETHER_GUARD=<id>} that every process of the server's tree inherits.
 *
 * @param grace  empty: the tether's own grace
 * @param cgroup the cgroup (v2) the launcher moved the server into, if it could
 * @param uid    the file's owner: only that user's processes are ever stopped for this guard
 */
record GuardFile(String id, ProcessId host, ProcessId server, Optional<Duration> grace, Optional<Path> cgroup, int uid) {

    private static final Pattern ID = Pattern.compile("(\\d+)-(\\d+)");
    private static final Pattern LINE = Pattern.compile(
            "host=(\\d+)-(\\d+) server=(\\d+)-(\\d+) grace=(\\S+) cgroup=(\\S+)\n");
    private static final Pattern GRACE = Pattern.compile("(\\d+)(ms|s|m|h)?");

    /** Whether a file name can be a guard's id: other files in the folder (the cgroup file, temporaries) are not. */
    static boolean isId(String name) {
        return ID.matcher(name).matches();
    }

    /** The guard {@code text} describes, or why it describes none (a line still being written among them). */
    static Parsed parse(String id, String text, int uid) {
        Matcher m = LINE.matcher(text);
        if (!m.matches()) {
            return new Parsed.Invalid("not one whole line of host=PID-START server=PID-START grace=… cgroup=…: " + text.strip());
        }
        ProcessId server = new ProcessId(Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), "");
        if (!id.equals(server.pid() + "-" + server.startTicks())) {
            return new Parsed.Invalid("its name " + id + " is not its server " + m.group(3) + "-" + m.group(4));
        }
        Optional<Duration> grace = Optional.empty();
        if (!m.group(5).equals("-")) {
            Matcher g = GRACE.matcher(m.group(5));
            if (!g.matches()) {
                return new Parsed.Invalid("grace " + m.group(5) + " is no duration such as 500ms, 3s, 1m");
            }
            long n = Long.parseLong(g.group(1));
            grace = Optional.of(switch (g.group(2) == null ? "s" : g.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            });
        }
        Optional<Path> cgroup = m.group(6).equals("-") ? Optional.empty() : Optional.of(Path.of(m.group(6)));
        ProcessId host = new ProcessId(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), "");
        return new Parsed.Valid(new GuardFile(id, host, server, grace, cgroup, uid));
    }

    sealed interface Parsed {
        record Valid(GuardFile guard) implements Parsed {}

        record Invalid(String why) implements Parsed {}
    }
}
