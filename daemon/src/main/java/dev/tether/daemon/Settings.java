package dev.tether.daemon;

import dev.tether.docker.Endpoint;
import dev.tether.docker.EngineChoice;
import dev.tether.labeler.McpDefaults;
import dev.tether.labeler.Tie;
import dev.tether.proxy.AllowedUids;
import dev.tether.proxy.ProxyConfig;
import dev.tether.proxy.TcpListen;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Every tunable of a running tether, with its default: the one place to look for what can be set and what it is
 * when nobody sets it. The command line fills it in; the daemon reads nothing else.
 *
 * @param socket        the substitute Docker socket clients connect to
 * @param socketGroup   a group that may connect too (mode 0660), else the socket is 0600
 * @param engine        the real engine, and the rule that chose it
 * @param forcedTie     one tie mode for every create on this socket, whatever the client asked
 * @param grace         the time a reaped container gets to stop before SIGKILL, unless its own StopTimeout says
 * @param sweepInterval how often every tied container is judged again, besides the instant process watches
 * @param headTimeout   how long a client may take to finish a request head it has begun; never bodies or streams
 * @param drain         on SIGTERM, how long open sessions and requests under way may go on
 * @param mcpDefaults   what a stdio session's HostConfig gets unless the client chose (--mcp-defaults)
 * @param auditLog      the audit journal's file
 * @param allowedUids   the users that may connect, on top of the socket's mode
 * @param tcp           a TCP listener besides the unix socket, none by default
 * @param reaps         false only for the launcher's training run, which must never reap: it may run beside a
 *                      user's own tether
 * @param guardCgroup   where {@code tether run} servers get a cgroup each: auto, none, or a cgroup v2 folder
 */
public record Settings(Path socket, Optional<String> socketGroup, EngineChoice engine, Optional<Tie> forcedTie,
                       Duration grace, Duration sweepInterval, Duration headTimeout, Duration drain,
                       Optional<McpDefaults> mcpDefaults, Path auditLog, AllowedUids allowedUids,
                       Optional<TcpListen> tcp, boolean reaps, String guardCgroup) {

    // The defaults, as the command line writes them: picocli shows them in --help from here.
    public static final String GRACE = "3s";
    public static final String SWEEP_INTERVAL = "30s";
    /** Generous for any real client, short enough that a stalled one holds no connection for long. */
    public static final String HEAD_TIMEOUT = "30s";
    public static final String DRAIN = "10s";
    public static final String GUARD_CGROUP = "auto";

    /** A tether with every default: 0600 socket, no forced tie, no --mcp-defaults, no TCP, everyone of the socket's mode. */
    public static Settings defaults(Path socket, Endpoint upstream, Path auditLog) {
        return new Settings(socket, Optional.empty(), EngineChoice.named(upstream.uri()), Optional.empty(), Durations.parse(GRACE),
                Durations.parse(SWEEP_INTERVAL), Durations.parse(HEAD_TIMEOUT), Durations.parse(DRAIN), Optional.empty(),
                auditLog, AllowedUids.ANYONE, Optional.empty(), true, GUARD_CGROUP);
    }

    /** The real engine. */
    public Endpoint upstream() {
        return engine.endpoint();
    }

    /** The relay's share of these settings; it reaches the engine at {@code reachedAt} (an ssh engine's bridge). */
    ProxyConfig proxy(Endpoint reachedAt) {
        return new ProxyConfig(socket, socketGroup, reachedAt, forcedTie, headTimeout, mcpDefaults, allowedUids, tcp);
    }
}
