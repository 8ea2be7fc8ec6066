package dev.tether.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One MCP host configuration file as read: its JSON tree (Jackson's object nodes keep key order), the text it was
 * read from, and how to write it back in the same style (JSON.stringify's, which Claude Code, Claude Desktop and
 * Cursor all write, with the file's own indentation).
 */
final class McpConfig {

    /** A configuration file tether cannot read or write; the message says which and what to do. */
    static final class ConfigException extends RuntimeException {
        ConfigException(String message) {
            super(message);
        }
    }

    /** One server entry, with the scope it belongs to: {@code user}, {@code project}, or {@code local: <project>}. */
    record Server(String scope, String name, ObjectNode entry) {}

    // Duplicate keys refused: which one a host honours is its own business, and writing back would drop one.
    // Floats kept as written (1.0 stays 1.0).
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private static final Pattern FIRST_INDENT = Pattern.compile("\\{\\r?\\n([ \\t]+)\\S");

    private final McpHost.Location location;
    private final Path file;
    private final String text;
    private final ObjectNode root;
    private final String indent;
    private final String eol;
    private final boolean finalNewline;
    private final boolean keepsFormatting;

    private McpConfig(McpHost.Location location, Path file, String text, ObjectNode root) {
        this.location = location;
        this.file = file;
        this.text = text;
        this.root = root;
        this.eol = text.contains("\r\n") ? "\r\n" : "\n";
        this.indent = indentOf(text);
        this.finalNewline = text.endsWith("\n");
        this.keepsFormatting = render().equals(text);
    }

    McpHost.Location location() {
        return location;
    }

    /** The file itself, symlinks followed: a dotfiles manager's link stays a link. */
    Path file() {
        return file;
    }

    /** The text the file held when read. */
    String text() {
        return text;
    }

    /** Whether writing the unchanged tree gives back the very same text: else the whitespace will change. */
    boolean keepsFormatting() {
        return keepsFormatting;
    }

    /** Reads the file; empty if it does not exist. */
    static Optional<McpConfig> read(McpHost.Location location) {
        Path path = location.path();
        String text;
        Path file;
        try {
            file = path.toRealPath();
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ConfigException("cannot read " + path + ": " + e.getMessage());
        }
        if (text.isBlank()) {
            return Optional.of(new McpConfig(location, file, text, JSON.createObjectNode()));
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw new ConfigException(path + " is not valid JSON"
                    + (where != null ? " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")" : "")
                    + ": " + e.getOriginalMessage());
        }
        if (!(tree instanceof ObjectNode object)) {
            throw new ConfigException(path + " holds a JSON " + tree.getNodeType().toString().toLowerCase(Locale.ROOT)
                    + ", not an object; an MCP host configuration is {\"mcpServers\": {...}}");
        }
        return Optional.of(new McpConfig(location, file, text, object));
    }

    /** Every server entry, in file order: the file's own {@code mcpServers}, then Claude Code's per-project ones. */
    List<Server> servers() {
        List<Server> servers = new ArrayList<>();
        String scope = location.scope() == McpHost.Scope.PROJECT ? "project" : "user";
        collect(scope, root.get("mcpServers"), "mcpServers", servers);
        if (location.host() == McpHost.CLAUDE_CODE && location.scope() == McpHost.Scope.USER
                && root.get("projects") instanceof ObjectNode projects) {
            projects.properties().forEach(p -> collect("local: " + p.getKey(), p.getValue().get("mcpServers"),
                    "projects[\"" + p.getKey() + "\"].mcpServers", servers));
        }
        return servers;
    }

    private void collect(String scope, JsonNode map, String where, List<Server> into) {
        if (map == null || map.isNull()) {
            return;
        }
        if (!(map instanceof ObjectNode object)) {
            throw new ConfigException(location.path() + ": " + where + " is not an object of servers");
        }
        object.properties().forEach(e -> {
            if (e.getValue() instanceof ObjectNode entry) {
                into.add(new Server(scope, e.getKey(), entry));
            }
        });
    }

    /** The tree as the file would hold it now. */
    String render() {
        if (text.isBlank() && root.isEmpty()) {
            return text;
        }
        var indenter = new DefaultIndenter(indent, eol);
        var printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator(""))
                .withObjectIndenter(indenter)
                .withArrayIndenter(indenter);
        try {
            String json = JSON.writer(printer).writeValueAsString(root);
            return finalNewline ? json + eol : json;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The indentation of the first member: two spaces when the file is on one line. */
    private static String indentOf(String text) {
        Matcher m = FIRST_INDENT.matcher(text);
        return m.find() ? m.group(1) : "  ";
    }
}
