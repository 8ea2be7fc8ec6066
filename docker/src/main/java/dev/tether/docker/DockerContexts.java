package dev.tether.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The docker CLI's context store, laid out as the CLI lays it out (docker/cli cli/context/store): the config folder is
 * {@code $DOCKER_CONFIG}, else {@code ~/.docker}; {@code config.json} there names the current context
 * ({@code currentContext}); a context's {@code meta.json} is in {@code contexts/meta/<sha256 hex of its name>/} and its
 * TLS material in {@code contexts/tls/<the same>/docker/}. Read and written here, never by running {@code docker}: tether
 * must know the engine before any engine answers.
 */
public final class DockerContexts {

    /** The CLI's virtual context: never on disk, it is DOCKER_HOST or the platform's default socket. */
    public static final String DEFAULT = "default";
    /** The context {@code tether context} writes: the docker CLI through tether's socket. */
    public static final String TETHER = "tether";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TLS_FILES = List.of("ca.pem", "cert.pem", "key.pem");

    private final Path configDir;

    public DockerContexts(Path configDir) {
        this.configDir = configDir.toAbsolutePath().normalize();
    }

    /** The store the docker CLI reads with this environment: {@code $DOCKER_CONFIG}, else {@code HOME/.docker}. */
    public static DockerContexts of(Map<String, String> env, Path home) {
        String dir = env.get("DOCKER_CONFIG");
        return new DockerContexts(dir != null && !dir.isBlank() ? Path.of(dir) : home.resolve(".docker"));
    }

    public Path configDir() {
        return configDir;
    }

    public Path configFile() {
        return configDir.resolve("config.json");
    }

    /** The folder of a context's meta.json: the CLI names it by the sha256 of the name, whatever the name's characters. */
    public Path metaDir(String name) {
        return configDir.resolve("contexts").resolve("meta").resolve(id(name));
    }

    public Path tlsDir(String name) {
        return configDir.resolve("contexts").resolve("tls").resolve(id(name));
    }

    static String id(String name) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * {@code currentContext} of config.json, if set. The CLI only warns about a config.json it cannot read and goes on
     * with the default context; so does this, through {@code warning}.
     */
    public Optional<String> currentContext(java.util.function.Consumer<String> warning) {
        Path file = configFile();
        try {
            JsonNode config = JSON.readTree(Files.readString(file));
            String name = config == null ? "" : field(config, "currentContext").map(JsonNode::asText).orElse("");
            return name.isBlank() ? Optional.empty() : Optional.of(name);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            warning.accept("cannot read " + file + " (" + e.getMessage().lines().findFirst().orElse("") + "), so its"
                    + " currentContext is not followed, as the docker CLI would not follow it either");
            return Optional.empty();
        }
    }

    /**
     * A stored context, as meta.json and its TLS folder say.
     *
     * @param host          the docker endpoint's Host; empty means the platform default, as the CLI takes it
     * @param skipTlsVerify the endpoint's SkipTLSVerify: a TLS endpoint
     * @param tlsFiles      the TLS material the CLI would load for the endpoint
     */
    public record Context(String name, Path meta, Optional<String> host, boolean skipTlsVerify, List<Path> tlsFiles) {
        public boolean usesTls() {
            return skipTlsVerify || !tlsFiles.isEmpty();
        }
    }

    /**
     * The context of that name, empty if none is stored.
     *
     * @throws IllegalStateException saying which file is wrong, when its meta.json is not the CLI's
     */
    public Optional<Context> read(String name) {
        Path meta = metaDir(name).resolve("meta.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(meta));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(meta + " is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + meta + ": " + e.getMessage(), e);
        }
        // Go's encoding/json, which wrote it, matches keys without regard to case: so does this.
        JsonNode docker = Optional.ofNullable(root).flatMap(r -> field(r, "Endpoints")).flatMap(e -> field(e, "docker"))
                .filter(JsonNode::isObject)
                .orElseThrow(() -> new IllegalStateException(meta + " has no docker endpoint (Endpoints.docker)"));
        Optional<String> host = field(docker, "Host").map(JsonNode::asText).filter(h -> !h.isBlank());
        boolean skip = field(docker, "SkipTLSVerify").map(JsonNode::asBoolean).orElse(false);
        Path tls = tlsDir(name).resolve("docker");
        List<Path> tlsFiles = TLS_FILES.stream().map(tls::resolve).filter(Files::exists).toList();
        return Optional.of(new Context(name, meta, host, skip, tlsFiles));
    }

    public enum Written { CREATED, UPDATED, UNCHANGED }

    /**
     * Stores a context whose docker endpoint is {@code endpoint}, as {@code docker context create NAME --docker
     * host=URI} would: meta.json (0644, in a 0755 folder), written whole or not at all. Nothing changes when it already
     * says so.
     */
    public Written write(String name, String description, Endpoint endpoint) throws IOException {
        Optional<Context> before;
        try {
            before = read(name);
        } catch (IllegalStateException e) {
            before = Optional.empty(); // a broken one is replaced
        }
        boolean existed = Files.exists(metaDir(name).resolve("meta.json"));
        if (before.isPresent() && before.get().host().equals(Optional.of(endpoint.uri())) && !before.get().usesTls()) {
            return Written.UNCHANGED;
        }
        ObjectNode meta = JSON.createObjectNode().put("Name", name);
        meta.putObject("Metadata").put("Description", description);
        meta.putObject("Endpoints").putObject("docker").put("Host", endpoint.uri()).put("SkipTLSVerify", false);
        Path dir = Files.createDirectories(metaDir(name));
        Path tmp = Files.createTempFile(dir, ".meta.json", ".tmp");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(meta));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, dir.resolve("meta.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        deleteTree(tlsDir(name)); // material of an older endpoint would turn TLS on for this one
        return existed ? Written.UPDATED : Written.CREATED;
    }

    /** Removes the context's folders, as {@code docker context rm} does; false if there was none. */
    public boolean remove(String name) throws IOException {
        boolean existed = Files.exists(metaDir(name));
        deleteTree(metaDir(name));
        deleteTree(tlsDir(name));
        return existed;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Optional<JsonNode> field(JsonNode node, String name) {
        if (node.has(name)) {
            return Optional.of(node.get(name));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }
}
