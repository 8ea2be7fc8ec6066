package dev.tether.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@code ssh://} engine as a local unix socket, the way the docker CLI reaches one: every connection accepted runs
 * {@code ssh -o ConnectTimeout=30 -T [-l USER] [-p PORT] -- HOST docker [--host=unix://PATH] system dial-stdio} and
 * pumps bytes both ways, half-closes included. The user's own ssh (its config, agent, known hosts) does the
 * authentication, as it does for the CLI. An ssh that fails before the engine said anything answers the request with
 * a Docker-style 502 that carries ssh's own words.
 */
public final class SshBridge implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SshBridge.class);
    /** How long a refused client may take to end its side before the bridge closes the connection anyway. */
    private static final Duration CLIENT_CLOSES = Duration.ofSeconds(5);

    private final Endpoint.Ssh target;
    private final List<String> ssh;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private SshBridge(Endpoint.Ssh target, List<String> ssh, Path socket, ServerSocketChannel server) {
        this.target = target;
        this.ssh = ssh;
        this.socket = socket;
        this.server = server;
    }

    /**
     * Listens on {@code socket} (its folder must be private to this user) and bridges to {@code target} with the
     * {@code ssh} first on PATH, as the docker CLI does.
     */
    public static SshBridge open(Endpoint.Ssh target, Path socket) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        SshBridge bridge = new SshBridge(target, command(target), socket, server);
        Thread.ofPlatform().daemon().name("tether-ssh-bridge").start(bridge::accept);
        return bridge;
    }

    /** The docker CLI's command for {@code target} (docker/cli connhelper). */
    static List<String> command(Endpoint.Ssh target) {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-o", "ConnectTimeout=30", "-T"));
        target.user().ifPresent(u -> cmd.addAll(List.of("-l", u)));
        target.port().ifPresent(p -> cmd.addAll(List.of("-p", Integer.toString(p))));
        cmd.addAll(List.of("--", target.host(), "docker"));
        if (!target.path().replace("/", "").isEmpty()) {
            cmd.add("--host=unix://" + target.path());
        }
        cmd.addAll(List.of("system", "dial-stdio"));
        return List.copyOf(cmd);
    }

    /** Where clients of the bridge connect. */
    public Endpoint.Unix endpoint() {
        return new Endpoint.Unix(socket);
    }

    private void accept() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    log.warn("ssh bridge to {} stopped accepting: {}", target.uri(), e.toString());
                }
                return;
            }
            // Platform threads: a connection blocks three on pipes and a socket, and engines' clients pool few
            // connections; a virtual thread blocked in a pipe's read would hold its carrier anyway.
            pump("tether-ssh-connection").start(() -> bridge(client));
        }
    }

    private void bridge(SocketChannel client) {
        Process process;
        try {
            process = new ProcessBuilder(ssh).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            refuse(client, "cannot run " + ssh.getFirst() + " (" + e.getMessage() + "): install an OpenSSH client,"
                    + " as the docker CLI needs one for ssh:// too", false, null);
            return;
        }
        running.add(process);
        StringBuilder stderr = new StringBuilder();
        Thread errors = pump("tether-ssh-stderr").start(() -> collect(process.getErrorStream(), stderr));
        Request request = new Request();
        Thread upstream = pump("tether-ssh-request").start(() -> request.pass(client, process.getOutputStream()));
        try (InputStream fromSsh = process.getInputStream()) {
            boolean answered = false;
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = fromSsh.read(buffer)) > 0; ) {
                answered = true;
                writeAll(client, ByteBuffer.wrap(buffer, 0, n));
            }
            if (!answered) {
                int code = process.waitFor();
                errors.join();
                if (code != 0) {
                    refuse(client, "ssh to " + target.uri() + " failed (exit " + code + "): " + lastLine(stderr)
                            + "; check that `ssh " + target.hostArgument() + " docker version` works for this user",
                            request.isHead(), upstream);
                    return;
                }
            }
            client.shutdownOutput(); // the engine's half-close, passed on
            upstream.join();
        } catch (IOException e) {
            // the client left: ssh is ended below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            process.destroy();
            running.remove(process);
            closeQuietly(client);
        }
    }

    /** The client's bytes on their way to ssh's stdin; what ssh no longer takes is read and dropped. */
    private static final class Request {
        private volatile boolean head;

        void pass(SocketChannel client, OutputStream toSsh) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            boolean first = true;
            boolean sshTakes = true;
            try {
                while (client.read(buffer) >= 0) { // ends when the client half-closes or leaves
                    if (first) {
                        head = new String(buffer.array(), 0, Math.min(5, buffer.position()), StandardCharsets.US_ASCII).equals("HEAD ");
                        first = false;
                    }
                    if (sshTakes) {
                        try {
                            toSsh.write(buffer.array(), 0, buffer.position());
                            toSsh.flush(); // a process's stdin is buffered: unflushed, a request waits there for ever
                        } catch (IOException e) {
                            // ssh is gone. Reading on lets the client close on tether's answer: a unix socket closed
                            // with unread bytes resets its peer, which may then lose the answer (seen).
                            sshTakes = false;
                        }
                    }
                    buffer.clear();
                }
            } catch (IOException e) {
                // the client left
            } finally {
                try {
                    toSsh.close();
                } catch (IOException e) {
                    // ssh is gone
                }
            }
        }

        /** Whether the first request is a HEAD, whose answer has no body. */
        boolean isHead() {
            return head;
        }
    }

    private static Thread.Builder pump(String name) {
        return Thread.ofPlatform().daemon().name(name);
    }

    /**
     * A Docker-style error where the engine's answer would have been, then the end of the connection once the client
     * has ended its side (it does on {@code Connection: close}), or after a few seconds.
     */
    private static void refuse(SocketChannel client, String why, boolean head, Thread reading) {
        String body = "{\"message\":\"tether: " + why.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String status = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n";
        try {
            writeAll(client, ByteBuffer.wrap(status.getBytes(StandardCharsets.US_ASCII)));
            if (!head) {
                writeAll(client, ByteBuffer.wrap(bytes));
            }
            client.shutdownOutput();
            if (reading != null) {
                reading.join(CLIENT_CLOSES);
            }
        } catch (IOException e) {
            // the client is gone: nobody to tell
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.warn("tether: {}", why);
        closeQuietly(client);
    }

    private static void writeAll(SocketChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    private static void collect(InputStream in, StringBuilder into) {
        try {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            synchronized (into) {
                into.append(text);
            }
        } catch (IOException e) {
            // ssh is gone
        }
    }

    private static String lastLine(StringBuilder stderr) {
        synchronized (stderr) {
            List<String> lines = stderr.toString().strip().lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "ssh said nothing" : lines.getLast().strip();
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        running.forEach(Process::destroy);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // left behind; the next open deletes it
        }
    }
}
