package dev.tether.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The two rules that keep credentials out of the journal: by field name, and on a client's command line. */
class RedactionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void envValuesAfterDashEAndDashDashEnvAreCutToTheirNames() {
        assertThat(Redaction.command(List.of("docker", "run", "-i", "--rm", "-e", "GITHUB_TOKEN=ghp_s3cr3t",
                "--env", "DATABASE_URL=postgres://me:pw@db/app", "ghcr.io/github/github-mcp-server")))
                .containsExactly("docker", "run", "-i", "--rm", "-e", "GITHUB_TOKEN=***",
                        "--env", "DATABASE_URL=***", "ghcr.io/github/github-mcp-server");
    }

    @Test
    void anEnvValueAttachedToItsFlagIsCutToo() {
        assertThat(Redaction.command(List.of("--env=OTHER=s3cr3t", "-eAPI_KEY=s3cr3t", "--env=")))
                .containsExactly("--env=OTHER=***", "-eAPI_KEY=***", "--env=");
    }

    @Test
    void aClusterOfShortFlagsEndingInEIsFollowedByAnEnvValue() {
        assertThat(Redaction.command(List.of("run", "-ie", "DATABASE_URL=postgres://me:s3cr3t@db/app",
                "-ite", "PLAIN=value", "-ieNAME=s3cr3t", "busybox")))
                .containsExactly("run", "-ie", "DATABASE_URL=***", "-ite", "PLAIN=***", "-ieNAME=***", "busybox");
    }

    @Test
    void aVariablePassedOnByNameHasNoValueToCut() {
        assertThat(Redaction.command(List.of("-e", "GITHUB_TOKEN", "--env", "HOME", "image")))
                .containsExactly("-e", "GITHUB_TOKEN", "--env", "HOME", "image");
    }

    @Test
    void secretIshAssignmentsAnywhereAreCutInAnyCaseAndOtherArgumentsKept() {
        assertThat(Redaction.command(List.of("node", "server.js", "SECRET=hunter2", "--api-key=abc",
                "--Password=pw", "https://example.com/hook?token=t0k", "AWS_CREDENTIALS_FILE=/x", "auth_header=h",
                "--port=8080", "NAME=value", "-v", "/src:/src")))
                .containsExactly("node", "server.js", "SECRET=***", "--api-key=***", "--Password=***",
                        "https://example.com/hook?token=***", "AWS_CREDENTIALS_FILE=***", "auth_header=***",
                        "--port=8080", "NAME=value", "-v", "/src:/src");
    }

    @Test
    void aLongArgumentIsCutAfterItsFirst256CharactersAndAnEnvValueBeforeThat() {
        String classpath = "/opt/app/lib/a.jar:".repeat(40);
        String longSecret = "TOKEN=" + "x".repeat(1000);

        List<String> kept = Redaction.command(List.of("java", "-cp", classpath, "-e", longSecret, "x".repeat(256)));

        assertThat(kept.get(2)).hasSize(Redaction.MAX_ARG + 1).startsWith("/opt/app/lib/a.jar:").endsWith("…")
                .isEqualTo(classpath.substring(0, Redaction.MAX_ARG) + "…");
        assertThat(kept.get(4)).isEqualTo("TOKEN=***");
        assertThat(kept.get(5)).as("exactly the limit: kept whole").isEqualTo("x".repeat(256));
    }

    @Test
    void anEmptyCommandLineStaysEmpty() {
        assertThat(Redaction.command(List.of())).isEmpty();
    }

    @Test
    void credentialFieldsAreRemovedAtAnyDepthInAnyCaseWhateverTheDefaultLocale() throws Exception {
        JsonNode node = JSON.readTree("""
                {"Env": ["A=1"], "IDENTITYTOKEN": "t", "nested": [{"Auth": "a", "ok": 1}],
                 "headers": {"X-Registry-Auth": "r", "User-Agent": "docker"}, "environment": "kept"}
                """);
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR")); // "IDENTITYTOKEN".toLowerCase() has a dotless ı
            Redaction.stripSecretKeys(node);
        } finally {
            Locale.setDefault(before);
        }

        assertThat(node.toString()).isEqualTo("{\"nested\":[{\"ok\":1}],\"headers\":{\"User-Agent\":\"docker\"},"
                + "\"environment\":\"kept\"}");
    }
}
