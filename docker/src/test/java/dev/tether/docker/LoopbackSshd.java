package dev.tether.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real OpenSSH server of the test's own on 127.0.0.1 (Debian's openssh-server), in front of this machine's Docker
 * engine: {@code ssh root@127.0.0.1 -p PORT docker system dial-stdio} reaches it, as a remote engine is reached. Its
 * keys and configs are in {@code /tmp/tssh-XXXXXX}. The client side is {@link #sshProgram()}: a script that runs the
 * system's ssh with this server's client config (key, no host-key prompts), since OpenSSH reads the user's config
 * from the password file's home, not from {@code $HOME}.
 */
public final class LoopbackSshd implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final Process sshd;

    private LoopbackSshd(Path dir, int port, Process sshd) {
        this.dir = dir;
        this.port = port;
        this.sshd = sshd;
    }

    public static LoopbackSshd start(Duration timeout) {
        for (String tool : new String[] {"/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"}) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new AssertionError("no " + tool + ": the ssh:// tests need Debian's openssh-server and openssh-client");
            }
        }
        Path dir = PrivateDockerd.shortTempDir("tssh-");
        try {
            keygen(dir.resolve("host_key"));
            keygen(dir.resolve("client_key"));
            Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
            int port = freePort();
            Files.writeString(dir.resolve("sshd_config"), String.join("\n",
                    "Port " + port, "ListenAddress 127.0.0.1", "HostKey " + dir.resolve("host_key"),
                    "AuthorizedKeysFile " + dir.resolve("authorized_keys"), "PidFile " + dir.resolve("sshd.pid"),
                    "StrictModes no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password", "UsePAM no", "") );
            Files.writeString(dir.resolve("ssh_config"), String.join("\n", "Host *",
                    "  IdentityFile " + dir.resolve("client_key"), "  IdentitiesOnly yes", "  StrictHostKeyChecking no",
                    "  UserKnownHostsFile /dev/null", "  LogLevel ERROR", "  BatchMode yes", ""));
            Path ssh = dir.resolve("bin").resolve("ssh");
            Files.createDirectories(ssh.getParent());
            Files.writeString(ssh, "#!/bin/sh\nexec /usr/bin/ssh -F '" + dir.resolve("ssh_config") + "' \"$@\"\n");
            Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege-separation directory
            Process sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-f", dir.resolve("sshd_config").toString(),
                    "-E", dir.resolve("sshd.log").toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sshd.out").toFile()).start();
            LoopbackSshd s = new LoopbackSshd(dir, port, sshd);
            s.awaitAnswers(timeout);
            return s;
        } catch (IOException e) {
            delete(dir);
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ssh://root@127.0.0.1:PORT}: this machine's engine, through this server. */
    public String uri() {
        return "ssh://root@127.0.0.1:" + port;
    }

    /** An ssh that uses this server's client config; put its folder first on PATH for a tether or docker CLI. */
    public Path sshProgram() {
        return dir.resolve("bin").resolve("ssh");
    }

    /** The server's log, for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("sshd.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void awaitAnswers(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            String out = PrivateDockerd.run(Duration.ofSeconds(20), sshProgram().toString(), "-p", Integer.toString(port),
                    "root@127.0.0.1", "echo", "sshd-answers");
            if (out.contains("sshd-answers")) {
                return;
            }
            if (!sshd.isAlive() || System.nanoTime() > end) {
                close();
                throw new AssertionError("sshd on 127.0.0.1:" + port + " did not answer within " + timeout + ": " + out
                        + "\n" + log());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    private static void keygen(Path key) throws IOException {
        String out = PrivateDockerd.run(Duration.ofSeconds(30), "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                "-f", key.toString());
        if (!Files.exists(key)) {
            throw new IOException("ssh-keygen made no " + key + ": " + out);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        sshd.destroy(); // sessions' own sshd processes end with their connections
        try {
            sshd.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delete(dir);
    }

    private static void delete(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // left in /tmp
        }
    }
}
