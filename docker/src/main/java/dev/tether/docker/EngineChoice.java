package dev.tether.docker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine tether relays to, and why: the one the user's docker CLI reaches, by the CLI's own rules (docker/cli
 * cli/command/cli.go resolveContextName): {@code --upstream}, else DOCKER_HOST, else DOCKER_CONTEXT, else the current
 * context of config.json, else the platform default. Two exceptions, both so that tether never relays to itself:
 * DOCKER_HOST naming tether's own socket is passed over (a shell that exported tether's line), and so is a context
 * that points at tether's socket or is tether's own ({@link DockerContexts#TETHER}), with a warning.
 *
 * @param endpoint the engine
 * @param rule     the rule that chose it
 * @param why      the rule as a user reads it, e.g. "the current docker context `alt` (~/.docker/config.json)"
 * @param warnings what was passed over and why, for the log and doctor
 */
public record EngineChoice(Endpoint endpoint, Rule rule, String why, List<String> warnings) {

    public EngineChoice {
        warnings = List.copyOf(warnings);
    }

    public enum Rule {
        FLAG("upstream-flag"), DOCKER_HOST("docker-host"), DOCKER_CONTEXT("docker-context"),
        CURRENT_CONTEXT("current-context"), DEFAULT("default");

        private final String code;

        Rule(String code) {
            this.code = code;
        }

        /** Its name in /status. */
        public String code() {
            return code;
        }
    }

    /** No engine can be chosen: the user named one tether cannot use. Says what was wrong and what to do. */
    public static final class Refused extends RuntimeException {
        private final String problem;
        private final String fix;

        Refused(String problem, String fix) {
            super(problem + ": " + fix);
            this.problem = problem;
            this.fix = fix;
        }

        public String problem() {
            return problem;
        }

        public String fix() {
            return fix;
        }
    }

    /** How tether speaks TLS to the engine and where its certificates came from; empty for plain connections. */
    public Optional<String> tls() {
        return endpoint instanceof Endpoint.Tcp tcp ? tcp.tls().map(EngineTls::describe) : Optional.empty();
    }

    /** {@code --upstream URL}, as the user wrote it, without TLS. */
    public static EngineChoice named(String upstream) {
        return new EngineChoice(Endpoint.parse(upstream), Rule.FLAG, "--upstream", List.of());
    }

    /**
     * The choice for this environment and these files.
     *
     * @param flag      {@code --upstream}, if given
     * @param env       the environment (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG)
     * @param home      the home folder, for {@code ~/.docker}
     * @param ownSocket tether's socket, never chosen
     * @throws Refused  when the named context does not exist, its TLS material is wrong, or it points where tether
     *                  cannot go
     */
    public static EngineChoice choose(Optional<String> flag, Map<String, String> env, Path home, Path ownSocket) {
        DockerContexts store = DockerContexts.of(env, home);
        if (flag.isPresent()) {
            return new EngineChoice(withEnvTls(Endpoint.parse(flag.get()), env, store), Rule.FLAG, "--upstream", List.of());
        }
        Path own = ownSocket.toAbsolutePath().normalize();
        String dockerHost = env.getOrDefault("DOCKER_HOST", "");
        if (!dockerHost.isBlank()) {
            Endpoint fromEnv = Endpoint.parse(dockerHost);
            if (!isOwn(fromEnv, own)) {
                return new EngineChoice(withEnvTls(fromEnv, env, store), Rule.DOCKER_HOST, "DOCKER_HOST", List.of());
            }
        }
        List<String> warnings = new ArrayList<>();
        String fromEnv = env.getOrDefault("DOCKER_CONTEXT", "");
        if (!fromEnv.isBlank()) {
            return fromContext(store, fromEnv, Rule.DOCKER_CONTEXT, "the docker context `" + fromEnv + "` (DOCKER_CONTEXT)",
                    "DOCKER_CONTEXT names", "unset DOCKER_CONTEXT, or set it to a context that exists (docker context ls)",
                    own, home, warnings);
        }
        Optional<String> current = store.currentContext(warnings::add);
        if (current.isPresent()) {
            String config = tilde(store.configFile(), home);
            return fromContext(store, current.get(), Rule.CURRENT_CONTEXT,
                    "the current docker context `" + current.get() + "` (" + config + ")",
                    "the current docker context of " + config + " is",
                    "docker context use default (or another context: docker context ls)", own, home, warnings);
        }
        return byDefault(warnings);
    }

    private static EngineChoice fromContext(DockerContexts store, String name, Rule rule, String why, String namedBy,
                                            String otherwise, Path own, Path home, List<String> warnings) {
        String orFlag = ", or name the engine: tether up --upstream URL";
        if (name.equals(DockerContexts.DEFAULT)) {
            return new EngineChoice(Endpoints.DEFAULT_ENGINE, rule, why, warnings);
        }
        if (name.equals(DockerContexts.TETHER)) {
            warnings.add(namedBy.replace(" names", " is") + " `" + name + "`, which is tether's own: relaying to it would"
                    + " loop, so tether relays to the default engine socket " + Endpoints.DEFAULT_ENGINE.uri()
                    + " (name another engine with --upstream URL)");
            return byDefault(warnings);
        }
        DockerContexts.Context context;
        try {
            context = store.read(name).orElseThrow(() -> new Refused(namedBy + " `" + name + "`, which does not exist (no "
                    + tilde(store.metaDir(name).resolve("meta.json"), home) + "), so the docker CLI fails too",
                    otherwise + orFlag));
        } catch (IllegalStateException e) {
            throw new Refused("the docker context `" + name + "` is unreadable: " + e.getMessage(),
                    "recreate it (docker context rm " + name + "; docker context create " + name + " --docker host=URL)" + orFlag);
        }
        Endpoint endpoint;
        try {
            endpoint = context.host().map(Endpoint::parse).orElse(Endpoints.DEFAULT_ENGINE);
        } catch (IllegalArgumentException e) {
            throw new Refused("the docker context `" + name + "` points at " + context.host().orElseThrow()
                    + ", which tether cannot reach: " + e.getMessage(),
                    "name an engine tether can reach: tether up --upstream unix:///path/to/docker.sock");
        }
        if (endpoint instanceof Endpoint.Tcp tcp) {
            Path tlsDir = store.tlsDir(name).resolve("docker");
            endpoint = checked(tcp.withTls(EngineTls.fromContext(context, tlsDir,
                    "the docker context `" + name + "` (" + tilde(tlsDir, home) + ")")));
        }
        if (isOwn(endpoint, own)) {
            warnings.add("the docker context `" + name + "` points at tether's own socket " + own + ": relaying to it"
                    + " would loop, so tether relays to the default engine socket " + Endpoints.DEFAULT_ENGINE.uri()
                    + " (name another engine with --upstream URL)");
            return byDefault(warnings);
        }
        return new EngineChoice(endpoint, rule, why, warnings);
    }

    /**
     * DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, which the docker CLI applies to DOCKER_HOST and {@code -H}
     * (its default context), never to a stored context.
     */
    private static Endpoint withEnvTls(Endpoint endpoint, Map<String, String> env, DockerContexts store) {
        if (endpoint instanceof Endpoint.Tcp tcp) {
            return checked(tcp.withTls(EngineTls.fromEnv(env, store.configDir())));
        }
        return endpoint;
    }

    /** Reads the TLS material now, so that a wrong file stops tether up and shows in doctor, naming the file. */
    private static Endpoint checked(Endpoint.Tcp tcp) {
        tcp.tls().ifPresent(tls -> {
            try {
                tls.sslContext();
            } catch (EngineTls.Invalid e) {
                throw new Refused(e.problem(), e.fix() + ", or name another engine: tether up --upstream URL");
            }
        });
        return tcp;
    }

    private static EngineChoice byDefault(List<String> warnings) {
        return new EngineChoice(Endpoints.DEFAULT_ENGINE, Rule.DEFAULT,
                "the default socket (no --upstream, DOCKER_HOST or docker context chose one)", warnings);
    }

    private static boolean isOwn(Endpoint e, Path own) {
        return e instanceof Endpoint.Unix unix && unix.socket().equals(own);
    }

    /** {@code ~/…} for a path under the home folder: shorter to read, and what users type. */
    private static String tilde(Path p, Path home) {
        Path h = home.toAbsolutePath().normalize();
        return p.startsWith(h) && !p.equals(h) ? "~/" + h.relativize(p) : p.toString();
    }
}
