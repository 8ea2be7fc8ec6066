package dev.tether.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import dev.tether.proxy.Cli;

/** A client of another user: the command runs under {@code setpriv} with that uid and gid and no other groups. */
final class UidClient {

    private UidClient() {}

    /** {@code curl -sS -i} of {@code GET path} on a unix socket, as {@code uid}:{@code gid}. */
    static Cli.Result curl(int uid, int gid, Path socket, String path, String... more) {
        List<String> args = new ArrayList<>(List.of("curl", "-sS", "-i", "--unix-socket", socket.toString()));
        args.addAll(List.of(more));
        args.add("http://tether" + path);
        return run(uid, gid, args);
    }

    /** Runs {@code command} as {@code uid}:{@code gid}, to its end. */
    static Cli.Result run(int uid, int gid, List<String> command) {
        return start(uid, gid, command).await(Duration.ofSeconds(60));
    }

    static Cli.Running start(int uid, int gid, List<String> command) {
        List<String> full = new ArrayList<>(List.of("setpriv", "--reuid", Integer.toString(uid), "--regid",
                Integer.toString(gid), "--clear-groups", "--"));
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().put("HOME", "/tmp");
        try {
            Cli.Running running = new Cli.Running(String.join(" ", full), pb.start());
            running.closeStdin();
            return running;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
