package dev.tether.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine is the one the docker CLI reaches: every rule of the CLI's, in its order, over a temporary home whose
 * context store is laid out as the CLI writes it (meta.json by the sha256 of the context's name).
 */
class EngineChoiceTest {

    private static final Path OWN = Path.of("/run/user/1000/tether/docker.sock");

    @TempDir
    Path home;

    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void aContextNamedAlt() throws IOException {
        context(home.resolve(".docker"), "alt", "unix:///run/alt/docker.sock");
    }

    @Test
    void withNothingSetItIsTheDefaultSocket() {
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(Endpoints.DEFAULT_ENGINE);
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.DEFAULT);
        assertThat(c.why()).isEqualTo("the default socket (no --upstream, DOCKER_HOST or docker context chose one)");
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void theCurrentContextOfConfigJsonComesNext() throws IOException {
        config(home.resolve(".docker"), "alt");
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(Endpoint.parse("unix:///run/alt/docker.sock"));
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.CURRENT_CONTEXT);
        assertThat(c.why()).isEqualTo("the current docker context `alt` (~/.docker/config.json)");
    }

    @Test
    void dockerContextOverridesTheCurrentContext() throws IOException {
        context(home.resolve(".docker"), "other", "tcp://10.0.0.5:2375");
        config(home.resolve(".docker"), "alt");
        env.put("DOCKER_CONTEXT", "other");
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(new Endpoint.Tcp("10.0.0.5", 2375));
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.DOCKER_CONTEXT);
        assertThat(c.why()).isEqualTo("the docker context `other` (DOCKER_CONTEXT)");
    }

    @Test
    void dockerHostOverridesEveryContext() throws IOException {
        config(home.resolve(".docker"), "alt");
        env.put("DOCKER_CONTEXT", "alt");
        env.put("DOCKER_HOST", "unix:///run/user/1000/docker.sock");
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(new Endpoint.Unix(Path.of("/run/user/1000/docker.sock")));
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.DOCKER_HOST);
    }

    @Test
    void upstreamOverridesEverything() throws IOException {
        config(home.resolve(".docker"), "alt");
        env.put("DOCKER_HOST", "unix:///run/user/1000/docker.sock");
        EngineChoice c = EngineChoice.choose(Optional.of("tcp://engine:2375"), env, home, OWN);
        assertThat(c.endpoint()).isEqualTo(new Endpoint.Tcp("engine", 2375));
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.FLAG);
        assertThat(c.why()).isEqualTo("--upstream");
    }

    @Test
    void dockerHostNamingTethersOwnSocketIsPassedOverForTheNextRule() throws IOException {
        env.put("DOCKER_HOST", "unix://" + OWN);
        assertThat(choose().endpoint()).as("a shell that exported tether's own line").isEqualTo(Endpoints.DEFAULT_ENGINE);
        env.put("DOCKER_HOST", "unix:///run/user/1000/tether/../tether/docker.sock");
        assertThat(choose().rule()).as("the same socket, spelt otherwise").isEqualTo(EngineChoice.Rule.DEFAULT);
        env.put("DOCKER_HOST", "  ");
        assertThat(choose().rule()).isEqualTo(EngineChoice.Rule.DEFAULT);
        config(home.resolve(".docker"), "alt");
        env.put("DOCKER_HOST", "unix://" + OWN);
        assertThat(choose().rule()).as("the docker CLI's engine but for tether: its context").isEqualTo(EngineChoice.Rule.CURRENT_CONTEXT);
    }

    @Test
    void dockerConfigMovesTheWholeStore() throws IOException {
        Path elsewhere = Files.createDirectories(home.resolve("elsewhere"));
        context(elsewhere, "far", "unix:///run/far.sock");
        config(elsewhere, "far");
        config(home.resolve(".docker"), "alt");
        env.put("DOCKER_CONFIG", elsewhere.toString());
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(Endpoint.parse("unix:///run/far.sock"));
        assertThat(c.why()).isEqualTo("the current docker context `far` (~/elsewhere/config.json)");
    }

    @Test
    void theDefaultContextByNameIsTheDefaultSocket() throws IOException {
        config(home.resolve(".docker"), "default");
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(Endpoints.DEFAULT_ENGINE);
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.CURRENT_CONTEXT);
    }

    @Test
    void aContextWithoutHostIsTheDefaultSocketAsTheCliTakesIt() throws IOException {
        Path meta = Files.createDirectories(home.resolve(".docker/contexts/meta").resolve(DockerContexts.id("bare")));
        Files.writeString(meta.resolve("meta.json"), "{\"Name\":\"bare\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"SkipTLSVerify\":false}}}");
        env.put("DOCKER_CONTEXT", "bare");
        assertThat(choose().endpoint()).isEqualTo(Endpoints.DEFAULT_ENGINE);
    }

    @Test
    void aMissingContextIsRefusedNamingItAndWhatToDo() throws IOException {
        config(home.resolve(".docker"), "gone");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessage("the current docker context of ~/.docker/config.json is `gone`, which does not exist (no ~/.docker/contexts/meta/"
                        + DockerContexts.id("gone") + "/meta.json), so the docker CLI fails too: docker context use default"
                        + " (or another context: docker context ls), or name the engine: tether up --upstream URL");
        env.put("DOCKER_CONTEXT", "nope");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessageStartingWith("DOCKER_CONTEXT names `nope`, which does not exist")
                .hasMessageEndingWith(": unset DOCKER_CONTEXT, or set it to a context that exists (docker context ls),"
                        + " or name the engine: tether up --upstream URL");
    }

    @Test
    void aContextOnTethersOwnSocketFallsToTheDefaultWithAWarning() throws IOException {
        context(home.resolve(".docker"), "loop", "unix://" + OWN);
        config(home.resolve(".docker"), "loop");
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(Endpoints.DEFAULT_ENGINE);
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.DEFAULT);
        assertThat(c.warnings()).containsExactly("the docker context `loop` points at tether's own socket " + OWN
                + ": relaying to it would loop, so tether relays to the default engine socket unix:///var/run/docker.sock"
                + " (name another engine with --upstream URL)");
    }

    @Test
    void theContextNamedTetherIsNeverTheUpstreamWhereverItPoints() throws IOException {
        context(home.resolve(".docker"), "tether", "unix:///run/user/1000/other-tether.sock");
        config(home.resolve(".docker"), "tether");
        EngineChoice c = choose();
        assertThat(c.endpoint()).isEqualTo(Endpoints.DEFAULT_ENGINE);
        assertThat(c.warnings()).singleElement().asString()
                .startsWith("the current docker context of ~/.docker/config.json is `tether`, which is tether's own: relaying to it would loop");
        env.put("DOCKER_CONTEXT", "tether");
        assertThat(choose().warnings()).singleElement().asString().startsWith("DOCKER_CONTEXT is `tether`, which is tether's own");
    }

    @Test
    void aContextsTlsMaterialIsUsedAndAWrongCaFileRefusedNamingIt() throws IOException {
        context(home.resolve(".docker"), "secure", "tcp://engine:2376");
        Path tls = Files.createDirectories(home.resolve(".docker/contexts/tls").resolve(DockerContexts.id("secure")).resolve("docker"));
        Files.writeString(tls.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        env.put("DOCKER_CONTEXT", "secure");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessageStartingWith("the CA certificate " + tls.resolve("ca.pem") + " is not a PEM certificate (")
                .hasMessageContaining("; from the docker context `secure` (~/.docker/contexts/tls/" + DockerContexts.id("secure")
                        + "/docker)): give the ca.pem the engine's certificates were made with, or name another engine:"
                        + " tether up --upstream URL");

        Path meta = home.resolve(".docker/contexts/meta").resolve(DockerContexts.id("skip")).resolve("meta.json");
        Files.createDirectories(meta.getParent());
        Files.writeString(meta, "{\"Name\":\"skip\",\"Endpoints\":{\"docker\":{\"Host\":\"tcp://engine:2376\",\"SkipTLSVerify\":true}}}");
        env.put("DOCKER_CONTEXT", "skip");
        EngineChoice skip = choose();
        assertThat(skip.endpoint()).isInstanceOfSatisfying(Endpoint.Tcp.class, t -> assertThat(t.tls()).hasValueSatisfying(
                tlsOf -> assertThat(tlsOf.verify()).isEqualTo(new EngineTls.Verify.Skip())));
        assertThat(skip.tls()).hasValue("TLS, NOT verified, no client certificate; from the docker context `skip` (~/.docker/contexts/tls/"
                + DockerContexts.id("skip") + "/docker)");
    }

    @Test
    void tlsFromTheEnvironmentFollowsTheCliRulesForDockerHostAndTheFlagOnly() throws IOException {
        env.put("DOCKER_HOST", "tcp://engine:2376");
        assertThat(choose().tls()).as("no DOCKER_TLS*: plain").isEmpty();

        env.put("DOCKER_TLS", "1");
        EngineChoice insecure = choose();
        assertThat(((Endpoint.Tcp) insecure.endpoint()).tls().orElseThrow().verify()).isEqualTo(new EngineTls.Verify.Skip());
        assertThat(insecure.tls()).hasValue("TLS, NOT verified, no client certificate; from DOCKER_TLS, certificates from "
                + home.resolve(".docker") + " (no DOCKER_CERT_PATH)");

        // The CLI tests DOCKER_TLS_VERIFY for being set, not for its value; the CA file must then exist.
        env.put("DOCKER_TLS_VERIFY", "0");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessageStartingWith("the CA certificate " + home.resolve(".docker/ca.pem") + " does not exist (from"
                        + " DOCKER_TLS_VERIFY, certificates from " + home.resolve(".docker") + " (no DOCKER_CERT_PATH))");
        env.put("DOCKER_CERT_PATH", "/nowhere/certs");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessageStartingWith("the CA certificate /nowhere/certs/ca.pem does not exist (from DOCKER_TLS_VERIFY,"
                        + " DOCKER_CERT_PATH=/nowhere/certs)");
        assertThatThrownBy(() -> EngineChoice.choose(Optional.of("tcp://other:2376"), env, home, OWN))
                .as("--upstream is the CLI's -H: the same variables apply").isInstanceOf(EngineChoice.Refused.class);

        env.remove("DOCKER_HOST");
        env.put("DOCKER_CONTEXT", "alt");
        assertThat(choose().endpoint()).as("a context is not the CLI's default context: the variables do not apply")
                .isEqualTo(new Endpoint.Unix(Path.of("/run/alt/docker.sock")));
        env.remove("DOCKER_CONTEXT");
        env.put("DOCKER_HOST", "unix:///run/other.sock");
        assertThat(choose().tls()).as("a unix socket is never TLS").isEmpty();
    }

    @Test
    void aContextOverSshIsReachedByItsUrlAndABrokenOneIsRefused() throws IOException {
        context(home.resolve(".docker"), "remote", "ssh://me@engine:2222");
        env.put("DOCKER_CONTEXT", "remote");
        assertThat(choose().endpoint()).as("the CLI's ssh:// context")
                .isEqualTo(new Endpoint.Ssh(Optional.of("me"), "engine", OptionalInt.of(2222), ""));
        assertThat(choose().tls()).isEmpty();

        context(home.resolve(".docker"), "pw", "ssh://me:secret@engine");
        env.put("DOCKER_CONTEXT", "pw");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessageStartingWith("the docker context `pw` points at ssh://me:secret@engine, which tether cannot reach:")
                .hasMessageContaining("a password in an ssh URL is not supported");

        Path meta = home.resolve(".docker/contexts/meta").resolve(DockerContexts.id("broken")).resolve("meta.json");
        Files.createDirectories(meta.getParent());
        Files.writeString(meta, "{\"Name\":");
        env.put("DOCKER_CONTEXT", "broken");
        assertThatThrownBy(this::choose).isInstanceOf(EngineChoice.Refused.class)
                .hasMessageStartingWith("the docker context `broken` is unreadable: " + meta + " is not valid JSON");
    }

    @Test
    void anUnreadableConfigJsonIsWarnedAboutAndPassedOverAsTheCliDoes() throws IOException {
        Files.writeString(home.resolve(".docker/config.json"), "{not json");
        EngineChoice c = choose();
        assertThat(c.rule()).isEqualTo(EngineChoice.Rule.DEFAULT);
        assertThat(c.warnings()).singleElement().asString().startsWith("cannot read " + home.resolve(".docker/config.json"));
    }

    @Test
    void theStoreIsTheClisLayoutAndWritingIsIdempotent() throws IOException {
        DockerContexts store = new DockerContexts(home.resolve(".docker"));
        // The folders `docker context create alt` and `… tether` write (sha256 of the name, as sha256sum gives it).
        assertThat(store.metaDir("alt")).isEqualTo(home.resolve(
                ".docker/contexts/meta/4d48fba6cf5f7d6abfb35e695f453297870a7a56568ceae968f06d04701b0047"));
        assertThat(store.tlsDir("tether")).isEqualTo(home.resolve(
                ".docker/contexts/tls/3dc7089d175e3fa1640f29917f3ae503c7f6919a9a0f80aac383eb2fcbd40daf"));
        Endpoint sock = Endpoint.parse("unix:///run/user/1000/tether/docker.sock");
        assertThat(store.write("tether", "through tether", sock)).isEqualTo(DockerContexts.Written.CREATED);
        assertThat(store.write("tether", "through tether", sock)).isEqualTo(DockerContexts.Written.UNCHANGED);
        assertThat(store.write("tether", "through tether", Endpoint.parse("unix:///elsewhere.sock"))).isEqualTo(DockerContexts.Written.UPDATED);
        assertThat(store.read("tether")).get().extracting(DockerContexts.Context::host).isEqualTo(Optional.of("unix:///elsewhere.sock"));
        assertThat(Files.readString(store.metaDir("tether").resolve("meta.json")))
                .isEqualTo("{\"Name\":\"tether\",\"Metadata\":{\"Description\":\"through tether\"},\"Endpoints\":{\"docker\":"
                        + "{\"Host\":\"unix:///elsewhere.sock\",\"SkipTLSVerify\":false}}}");
        assertThat(store.remove("tether")).isTrue();
        assertThat(store.read("tether")).isEmpty();
        assertThat(store.remove("tether")).isFalse();
    }

    private EngineChoice choose() {
        return EngineChoice.choose(Optional.empty(), env, home, OWN);
    }

    /** A context as {@code docker context create NAME --docker host=HOST} writes it. */
    private static void context(Path configDir, String name, String host) throws IOException {
        Path meta = Files.createDirectories(configDir.resolve("contexts/meta").resolve(sha256Hex(name))).resolve("meta.json");
        Files.writeString(meta, "{\"Name\":\"" + name + "\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"" + host
                + "\",\"SkipTLSVerify\":false}}}");
    }

    private static void config(Path configDir, String current) throws IOException {
        Files.createDirectories(configDir);
        Files.writeString(configDir.resolve("config.json"), "{\n\t\"auths\": {},\n\t\"currentContext\": \"" + current + "\"\n}");
    }

    private static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
