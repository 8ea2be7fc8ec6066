package dev.tether.proxy;

import dev.tether.docker.Endpoint;
import dev.tether.labeler.McpDefaults;
import dev.tether.labeler.Tie;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How one tether proxy runs.
 *
 * @param socket      the substitute Docker socket clients connect to
 * @param socketGroup a group that may connect too (mode 0660), else the socket is 0600
 * @param upstream    the real engine
 * @param forcedTie   one tie mode for every create on this socket, whatever the client asked
 * @param headTimeout how long a client may take to finish a request head it has begun; never applies to bodies,
 *                    streams or idle keep-alive connections
 * @param mcpDefaults what a stdio session's HostConfig gets unless the client chose (--mcp-defaults)
 * @param allowedUids the users that may connect ({@code --allow-uid}), on top of the socket's mode
 * @param tcp         a TCP listener besides the unix socket ({@code --tcp}), none by default
 */
public record ProxyConfig(Path socket, Optional<String> socketGroup, Endpoint upstream, Optional<Tie> forcedTie,
                          Duration headTimeout, Optional<McpDefaults> mcpDefaults, AllowedUids allowedUids,
                          Optional<TcpListen> tcp) {

    /** Generous for any real client, short enough that a stalled one holds no connection for long. */
    public static final Duration HEAD_TIMEOUT = Duration.ofSeconds(30);

    public static ProxyConfig of(Path socket, Endpoint upstream) {
        return new ProxyConfig(socket, Optional.empty(), upstream, Optional.empty(), HEAD_TIMEOUT, Optional.empty(),
                AllowedUids.ANYONE, Optional.empty());
    }

    public ProxyConfig withHeadTimeout(Duration timeout) {
        return new ProxyConfig(socket, socketGroup, upstream, forcedTie, timeout, mcpDefaults, allowedUids, tcp);
    }
}
