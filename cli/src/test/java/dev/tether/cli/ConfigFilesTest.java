package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a user's configuration file is replaced: whole, with its mode and owner, and never over a newer write. */
class ConfigFilesTest {

    @TempDir
    Path dir;

    @Test
    void aFileChangedSinceItWasReadIsNotOverwritten() throws IOException {
        Path file = dir.resolve(".claude.json");
        Files.writeString(file, "{\"numStartups\": 2}");

        assertThatThrownBy(() -> ConfigFiles.replace(file, "{\"numStartups\": 1}", "{\"routed\": true}"))
                .isInstanceOf(McpConfig.ConfigException.class)
                .hasMessageContaining(file + " changed while tether was rewriting it")
                .hasMessageContaining("run this again");
        assertThat(file).hasContent("{\"numStartups\": 2}");
        assertThat(names()).containsExactly(".claude.json");
    }

    @Test
    void theReplacementKeepsTheModeAndTheOwnerOfTheFile() throws IOException {
        // The suite runs as root (README): root editing another user's file must leave it that user's.
        Path file = dir.resolve("mcp.json");
        Files.writeString(file, "{}");
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(file, users.lookupPrincipalByName("nobody"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        ConfigFiles.replace(file, "{}", "{\"mcpServers\": {}}");

        assertThat(file).hasContent("{\"mcpServers\": {}}");
        assertThat(Files.getOwner(file).getName()).isEqualTo("nobody");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r-----");
        assertThat(names()).containsExactly("mcp.json");
    }

    @Test
    void theBackupIsWrittenOnceAndNeverReplaced() throws IOException {
        Path file = dir.resolve("claude_desktop_config.json");
        Files.writeString(file, "first");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThat(ConfigFiles.backUpOnce(file, "first")).isTrue();
        assertThat(ConfigFiles.backUpOnce(file, "second")).isFalse();

        Path backup = dir.resolve("claude_desktop_config.json.tether-backup");
        assertThat(backup).hasContent("first");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup))).isEqualTo("rw-------");
    }

    private java.util.List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
