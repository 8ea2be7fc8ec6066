package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code tether setup} on realistic configuration files in a temporary home. */
class McpSetupTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LAUNCHER = "/opt/tether/tether";

    /** ~/.claude.json as Claude Code writes it (JSON.stringify, two spaces, no final newline), with a token in it. */
    private static final String CLAUDE_JSON = """
            {
              "numStartups": 42,
              "oauthAccount": {
                "accountUuid": "0b7c1d2e",
                "emailAddress": "dev@example.com"
              },
              "primaryApiKey": "sk-ant-secret",
              "mcpServers": {
                "github": {
                  "type": "stdio",
                  "command": "docker",
                  "args": [
                    "run",
                    "-i",
                    "--rm",
                    "-e",
                    "GITHUB_PERSONAL_ACCESS_TOKEN",
                    "ghcr.io/github/github-mcp-server"
                  ],
                  "env": {
                    "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_secret"
                  }
                },
                "fetch": {
                  "type": "stdio",
                  "command": "npx",
                  "args": [
                    "-y",
                    "@modelcontextprotocol/server-fetch"
                  ],
                  "env": {}
                },
                "notion": {
                  "type": "http",
                  "url": "https://mcp.notion.com/mcp"
                },
                "events": {
                  "type": "sse",
                  "url": "http://localhost:9000/sse"
                },
                "time": {
                  "command": "/usr/local/bin/docker",
                  "args": [
                    "run",
                    "-i",
                    "--rm",
                    "mcp/time"
                  ]
                },
                "remote": {
                  "command": "docker",
                  "args": [
                    "run",
                    "-i",
                    "--rm",
                    "mcp/postgres"
                  ],
                  "env": {
                    "DOCKER_HOST": "tcp://10.1.2.3:2375"
                  }
                },
                "memory": {
                  "command": "/opt/tether/tether",
                  "args": [
                    "run",
                    "--",
                    "docker",
                    "run",
                    "-i",
                    "--rm",
                    "mcp/memory"
                  ]
                }
              },
              "projects": {
                "/home/dev/shop": {
                  "allowedTools": [],
                  "mcpServers": {
                    "pg": {
                      "type": "stdio",
                      "command": "docker",
                      "args": [
                        "run",
                        "-i",
                        "--rm",
                        "--network",
                        "host",
                        "mcp/postgres",
                        "postgresql://localhost/shop"
                      ],
                      "env": {}
                    }
                  },
                  "hasTrustDialogAccepted": true
                }
              },
              "tipsHistory": {
                "new-user-warmup": 1
              }
            }""";

    /**
     * A user file as JSON.stringify writes it, with a server of each kind --all meets: docker, the runners MCP servers
     * are published for (npx, uvx, node, python), a command without "args", two that are not stdio, one of tether's
     * own commands, one already routed, and one whose own DOCKER_HOST tether run would replace.
     */
    private static final String MIXED = """
            {
              "mcpServers": {
                "time": {
                  "command": "docker",
                  "args": [
                    "run",
                    "-i",
                    "--rm",
                    "mcp/time"
                  ]
                },
                "filesystem": {
                  "command": "npx",
                  "args": [
                    "-y",
                    "@modelcontextprotocol/server-filesystem",
                    "/home/dev/notes"
                  ],
                  "env": {
                    "NODE_OPTIONS": "--max-old-space-size=512"
                  }
                },
                "fetch": {
                  "type": "stdio",
                  "command": "uvx",
                  "args": [
                    "mcp-server-fetch",
                    "--ignore-robots-txt"
                  ],
                  "env": {}
                },
                "local": {
                  "command": "node",
                  "args": [
                    "/home/dev/mcp/build/index.js"
                  ],
                  "env": {
                    "API_KEY": "k-secret",
                    "LOG_LEVEL": "debug"
                  }
                },
                "git": {
                  "command": "/usr/bin/python3",
                  "args": [
                    "-m",
                    "mcp_server_git",
                    "--repository",
                    "/home/dev/it's here"
                  ]
                },
                "bare": {
                  "command": "/home/dev/bin/mcp-bare",
                  "env": {
                    "MODE": "1"
                  }
                },
                "notion": {
                  "type": "http",
                  "url": "https://mcp.notion.com/mcp"
                },
                "linear": {
                  "url": "https://mcp.linear.app/sse"
                },
                "proxy": {
                  "command": "/opt/tether/tether",
                  "args": [
                    "up",
                    "--socket",
                    "/tmp/t.sock"
                  ]
                },
                "clock": {
                  "command": "/opt/tether/tether",
                  "args": [
                    "run",
                    "--",
                    "uvx",
                    "mcp-server-time"
                  ]
                },
                "builds": {
                  "command": "npx",
                  "args": [
                    "-y",
                    "mcp-server-docker"
                  ],
                  "env": {
                    "DOCKER_HOST": "ssh://dev@build"
                  }
                }
              }
            }""";

    /** The servers of {@link #MIXED} that --all routes. */
    private static final List<String> MIXED_ROUTED = List.of("time", "filesystem", "fetch", "local", "git", "bare");

    @TempDir
    Path home;

    private Path claudeJson;
    private Path project;
    private UserDirs dirs;

    @BeforeEach
    void writeConfigs() throws IOException {
        claudeJson = home.resolve(".claude.json");
        Files.writeString(claudeJson, CLAUDE_JSON);
        Files.setPosixFilePermissions(claudeJson, PosixFilePermissions.fromString("rw-------"));
        project = Files.createDirectories(home.resolve("shop"));
        dirs = new UserDirs(home, Map.of(), "Linux");
    }

    @Test
    void routesEachDockerServerAndChangesNothingElse() throws IOException {
        String out = run(McpHost.CLAUDE_CODE, false, false);

        String expected = route(route(route(CLAUDE_JSON, 6, "docker", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN"),
                6, "/usr/local/bin/docker", "-i", "--rm"), 10, "docker", "-i", "--rm", "--network");
        assertThat(Files.readString(claudeJson)).isEqualTo(expected);
        assertThat(out)
                .contains("github (user): route through tether\n"
                        + "    - docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server\n"
                        + "    + /opt/tether/tether run -- docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server")
                .contains("time (user): route through tether")
                .contains("pg (local: /home/dev/shop): route through tether")
                .contains("memory (user): already routed through tether")
                .contains("remote (user): left alone: it sets DOCKER_HOST=tcp://10.1.2.3:2375")
                .contains("not started by docker, left alone (--all routes them too): fetch (user)\n")
                .contains("not stdio, no process of theirs to guard, left alone: notion (user, http), events (user, sse)\n")
                .contains("written: 3 servers routed through tether")
                .doesNotContain("whitespace");
    }

    @Test
    void keepsTheFilePrivateAndItsOriginalInAPrivateBackup() throws IOException {
        run(McpHost.CLAUDE_CODE, false, false);

        Path backup = home.resolve(".claude.json.tether-backup");
        assertThat(Files.readString(backup)).isEqualTo(CLAUDE_JSON);
        assertThat(mode(claudeJson)).isEqualTo("rw-------");
        assertThat(mode(backup)).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(home)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary file left behind")
                    .containsExactlyInAnyOrder(".claude.json", ".claude.json.tether-backup", "shop");
        }
    }

    @Test
    void runningTwiceChangesNothingTheSecondTime() throws IOException {
        run(McpHost.CLAUDE_CODE, false, false);
        String once = Files.readString(claudeJson);
        FileTime written = Files.getLastModifiedTime(claudeJson);

        String out = run(McpHost.CLAUDE_CODE, false, false);

        assertThat(Files.readString(claudeJson)).isEqualTo(once);
        assertThat(Files.getLastModifiedTime(claudeJson)).isEqualTo(written);
        assertThat(out).contains("github (user): already routed through tether")
                .contains("pg (local: /home/dev/shop): already routed through tether")
                .contains("nothing to change")
                .doesNotContain("written");
        assertThat(Files.readString(home.resolve(".claude.json.tether-backup"))).isEqualTo(CLAUDE_JSON);
    }

    @Test
    void aDryRunShowsTheChangeAndWritesNothing() throws IOException {
        FileTime before = Files.getLastModifiedTime(claudeJson);

        String out = run(McpHost.CLAUDE_CODE, true, false);

        assertThat(out).contains("    - /usr/local/bin/docker run -i --rm mcp/time\n"
                        + "    + /opt/tether/tether run -- /usr/local/bin/docker run -i --rm mcp/time")
                .contains("dry run: would route 3 servers; nothing written");
        assertThat(Files.readString(claudeJson)).isEqualTo(CLAUDE_JSON);
        assertThat(Files.getLastModifiedTime(claudeJson)).isEqualTo(before);
        assertThat(home.resolve(".claude.json.tether-backup")).doesNotExist();
    }

    @Test
    void undoUnroutesAndKeepsEditsMadeSince() throws IOException {
        run(McpHost.CLAUDE_CODE, false, false);
        // Claude Code goes on writing the file: a counter, and a server added with claude mcp add.
        String edited = Files.readString(claudeJson)
                .replace("\"numStartups\": 42", "\"numStartups\": 43")
                .replace(PROJECTS, PROJECTS + BLOG);
        Files.writeString(claudeJson, edited);

        String out = run(McpHost.CLAUDE_CODE, false, true);

        String expected = unroute(CLAUDE_JSON, 6, "docker", "-i", "--rm")
                .replace("\"numStartups\": 42", "\"numStartups\": 43")
                .replace(PROJECTS, PROJECTS + BLOG);
        assertThat(Files.readString(claudeJson)).isEqualTo(expected);
        assertThat(out).contains("github (user): un-route\n"
                        + "    - /opt/tether/tether run -- docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server\n"
                        + "    + docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server")
                .contains("written: 4 servers un-routed")
                .contains("the backup of the original, from the first change, stays at " + home.resolve(".claude.json.tether-backup"));
        assertThat(mode(claudeJson)).isEqualTo("rw-------");
    }

    @Test
    void aMalformedFileStopsEverythingBeforeAnyWrite() throws IOException {
        Path mcpJson = project.resolve(".mcp.json");
        String broken = "{\n  \"mcpServers\": {\n    \"db\": {\"command\": \"docker\", \"args\": [\"run\" \"-i\"]}\n  }\n}\n";
        Files.writeString(mcpJson, broken);

        assertThatThrownBy(() -> run(McpHost.CLAUDE_CODE, false, false, true))
                .isInstanceOf(McpConfig.ConfigException.class)
                .hasMessageContaining(mcpJson + " is not valid JSON (line 3, column 48)")
                .hasMessageEndingWith("nothing was changed; fix the file (or restore from a backup) and run this again");
        assertThat(Files.readString(claudeJson)).isEqualTo(CLAUDE_JSON);
        assertThat(Files.readString(mcpJson)).isEqualTo(broken);
        assertThat(home.resolve(".claude.json.tether-backup")).doesNotExist();
    }

    @Test
    void duplicateKeysAreRefusedRatherThanOneSilentlyDropped() throws IOException {
        Path cursor = Files.createDirectories(home.resolve(".cursor")).resolve("mcp.json");
        Files.writeString(cursor, "{\"mcpServers\": {\"a\": {\"command\": \"docker\"}, \"a\": {\"command\": \"npx\"}}}");

        assertThatThrownBy(() -> run(McpHost.CURSOR, false, false))
                .isInstanceOf(McpConfig.ConfigException.class)
                .hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void sharedProjectFilesAreShownButChangedOnlyWhenTheProjectIsNamed() throws IOException {
        Path mcpJson = project.resolve(".mcp.json");
        String shared = """
                {
                  "mcpServers": {
                    "browser": {
                      "command": "docker",
                      "args": ["run", "-i", "--rm", "--init", "mcp/playwright"]
                    }
                  }
                }
                """;
        Files.writeString(mcpJson, shared);

        String unnamed = run(McpHost.CLAUDE_CODE, false, false, false);
        assertThat(unnamed).contains("Claude Code, project scope: " + mcpJson)
                .contains("browser (project): route through tether")
                .contains("not changed: a project file is usually committed and shared")
                .contains("tether setup claude-code --project " + project);
        assertThat(Files.readString(mcpJson)).isEqualTo(shared);

        String named = run(McpHost.CLAUDE_CODE, false, false, true);
        assertThat(named).contains("browser (project): route through tether")
                .contains("note: the file's whitespace is rewritten");
        JsonNode browser = JSON.readTree(mcpJson.toFile()).at("/mcpServers/browser");
        assertThat(browser.path("command").asText()).isEqualTo(LAUNCHER);
        assertThat(strings(browser.path("args"))).containsExactly("run", "--", "docker", "run", "-i", "--rm", "--init", "mcp/playwright");
        assertThat(Files.readString(mcpJson)).as("the final newline stays").endsWith("}\n");
    }

    @Test
    void claudeDesktopOnLinuxFollowsXdgConfigHomeAndKeepsFourSpaceIndents() throws IOException {
        Path config = Files.createDirectories(home.resolve("xdg/Claude")).resolve("claude_desktop_config.json");
        String desktop = """
                {
                    "mcpServers": {
                        "sqlite": {
                            "command": "docker",
                            "args": [
                                "run",
                                "--rm",
                                "-i",
                                "-v",
                                "mcp-test:/mcp",
                                "mcp/sqlite",
                                "--db-path",
                                "/mcp/test.db"
                            ]
                        }
                    },
                    "globalShortcut": "Ctrl+Space"
                }
                """;
        Files.writeString(config, desktop);
        dirs = new UserDirs(home, Map.of("XDG_CONFIG_HOME", home.resolve("xdg").toString()), "Linux");

        String out = run(McpHost.CLAUDE_DESKTOP, false, false);

        assertThat(out).contains("Claude Desktop, user scope: " + config).doesNotContain("whitespace");
        assertThat(Files.readString(config)).isEqualTo(routeIndented(desktop, 12, "    ", "docker", "--rm", "-i"));
    }

    @Test
    void theOtherPlatformsLookWhereTheirHostsKeepTheFile() {
        assertThat(McpHost.CLAUDE_DESKTOP.locations(new UserDirs(home, Map.of(), "Mac OS X"), java.util.Optional.empty()))
                .extracting(McpHost.Location::path)
                .containsExactly(home.resolve("Library/Application Support/Claude/claude_desktop_config.json"));
        assertThat(McpHost.CLAUDE_DESKTOP.locations(new UserDirs(home, Map.of("APPDATA", "/w/AppData/Roaming"), "Windows 11"),
                java.util.Optional.empty()))
                .extracting(McpHost.Location::path)
                .containsExactly(Path.of("/w/AppData/Roaming/Claude/claude_desktop_config.json"));
        assertThat(McpHost.CLAUDE_CODE.locations(new UserDirs(home, Map.of("CLAUDE_CONFIG_DIR", "/cfg"), "Linux"),
                java.util.Optional.of(project)))
                .extracting(McpHost.Location::path)
                .containsExactly(Path.of("/cfg/.claude.json"), project.resolve(".mcp.json"));
        assertThat(McpHost.CURSOR.locations(dirs, java.util.Optional.of(project)))
                .extracting(McpHost.Location::path)
                .containsExactly(home.resolve(".cursor/mcp.json"), project.resolve(".cursor/mcp.json"));
    }

    @Test
    void aSymlinkedConfigStaysALinkAndItsTargetIsChanged() throws IOException {
        Path dotfiles = Files.createDirectories(home.resolve("dotfiles"));
        Path target = dotfiles.resolve("claude.json");
        Files.move(claudeJson, target);
        Files.createSymbolicLink(claudeJson, target);

        run(McpHost.CLAUDE_CODE, false, false);

        assertThat(Files.isSymbolicLink(claudeJson)).isTrue();
        assertThat(Files.readString(target)).contains("\"command\": \"/opt/tether/tether\"");
        assertThat(dotfiles.resolve("claude.json.tether-backup")).hasContent(CLAUDE_JSON);
    }

    @Test
    void aServerRoutedThroughALauncherThatIsGoneIsRoutedThroughTheCurrentOne() throws IOException {
        Path cursor = Files.createDirectories(home.resolve(".cursor")).resolve("mcp.json");
        Files.writeString(cursor, "{\"mcpServers\":{\"fs\":{\"command\":\"/old/checkout/tether\","
                + "\"args\":[\"run\",\"--\",\"docker\",\"run\",\"-i\",\"--rm\",\"mcp/filesystem\"]}}}");

        String out = run(McpHost.CURSOR, false, false);

        assertThat(out).contains("fs (user): route through tether (the launcher it names is gone)")
                .contains("note: the file's whitespace is rewritten");
        JsonNode fs = JSON.readTree(cursor.toFile()).at("/mcpServers/fs");
        assertThat(fs.path("command").asText()).isEqualTo(LAUNCHER);
        assertThat(strings(fs.path("args"))).containsExactly("run", "--", "docker", "run", "-i", "--rm", "mcp/filesystem");
    }

    @Test
    void noConfigurationAtAllSaysWhereItLooked() {
        String out = run(McpHost.CURSOR, false, false);

        assertThat(out).isEqualTo("No Cursor configuration found (looked at " + home.resolve(".cursor/mcp.json") + ", "
                + project.resolve(".cursor/mcp.json") + ").\n");
    }

    @ParameterizedTest
    @EnumSource(McpHost.class)
    void allRoutesEveryStdioServerAndSaysWhyItSkipsTheOthers(McpHost host) throws IOException {
        Path file = userFile(host);
        Files.writeString(file, MIXED);

        String out = run(host, false, false, false, true);

        ObjectNode expected = (ObjectNode) JSON.readTree(MIXED);
        for (String name : MIXED_ROUTED) {
            ObjectNode server = (ObjectNode) expected.path("mcpServers").path(name);
            ArrayNode args = server.arrayNode().add("run").add("--").add(server.path("command").asText());
            server.path("args").forEach(args::add);
            server.put("command", LAUNCHER);
            server.set("args", args); // only the server that had no "args" gets one, at the end
        }
        assertThat(pretty(Files.readString(file))).as("command and args of the routed servers change, and nothing else")
                .isEqualTo(pretty(JSON.writeValueAsString(expected)));
        assertThat(out)
                .contains("filesystem (user): route through tether\n"
                        + "    - npx -y @modelcontextprotocol/server-filesystem /home/dev/notes\n"
                        + "    + /opt/tether/tether run -- npx -y @modelcontextprotocol/server-filesystem /home/dev/notes\n")
                .contains("time (user): route through tether")
                .contains("fetch (user): route through tether")
                .contains("local (user): route through tether")
                .contains("    + /opt/tether/tether run -- /usr/bin/python3 -m mcp_server_git --repository '/home/dev/it'\\''s here'\n")
                .contains("    + /opt/tether/tether run -- /home/dev/bin/mcp-bare\n")
                .contains("proxy (user): left alone: its command is tether itself")
                .contains("clock (user): already routed through tether")
                .contains("builds (user): left alone: it sets DOCKER_HOST=ssh://dev@build")
                .contains("not stdio, no process of theirs to guard, left alone: notion (user, http), linear (user, url)")
                .contains("written: 6 servers routed through tether")
                .doesNotContain("not started by docker")
                .doesNotContain("whitespace");
    }

    @ParameterizedTest
    @EnumSource(McpHost.class)
    void undoAfterAllRestoresTheExactOriginalBytes(McpHost host) throws IOException {
        Path file = userFile(host);
        String original = MIXED.replace(CLOCK_ROUTED, CLOCK); // a server routed by hand would be un-routed too
        Files.writeString(file, original);
        run(host, false, false, false, true);
        assertThat(Files.readString(file)).isNotEqualTo(original);

        String out = run(host, false, true);

        assertThat(Files.readString(file)).isEqualTo(original);
        assertThat(out).contains("bare (user): un-route\n"
                        + "    - /opt/tether/tether run -- /home/dev/bin/mcp-bare\n"
                        + "    + /home/dev/bin/mcp-bare\n")
                .contains("written: 7 servers un-routed");
    }

    @Test
    void allAfterTheDefaultRoutesTheRestAndUndoRestoresBoth() throws IOException {
        String original = CLAUDE_JSON.replace(MEMORY_ROUTED, MEMORY);
        Files.writeString(claudeJson, original);

        String docker = run(McpHost.CLAUDE_CODE, false, false);
        String all = run(McpHost.CLAUDE_CODE, false, false, false, true);

        assertThat(docker).contains("written: 4 servers routed through tether");
        assertThat(all).contains("github (user): already routed through tether")
                .contains("fetch (user): route through tether\n"
                        + "    - npx -y @modelcontextprotocol/server-fetch\n"
                        + "    + /opt/tether/tether run -- npx -y @modelcontextprotocol/server-fetch\n")
                .contains("written: 1 server routed through tether");
        JsonNode fetch = JSON.readTree(claudeJson.toFile()).at("/mcpServers/fetch");
        assertThat(strings(fetch.path("args"))).containsExactly("run", "--", "npx", "-y", "@modelcontextprotocol/server-fetch");
        assertThat(fetch.path("type").asText()).isEqualTo("stdio");

        String undo = run(McpHost.CLAUDE_CODE, false, true);

        assertThat(undo).contains("fetch (user): un-route").contains("written: 5 servers un-routed");
        assertThat(Files.readString(claudeJson)).isEqualTo(original);
    }

    @Test
    void allTwiceChangesNothingTheSecondTime() throws IOException {
        Path file = userFile(McpHost.CURSOR);
        Files.writeString(file, MIXED);
        run(McpHost.CURSOR, false, false, false, true);
        String once = Files.readString(file);
        FileTime written = Files.getLastModifiedTime(file);

        String out = run(McpHost.CURSOR, false, false, false, true);

        assertThat(Files.readString(file)).isEqualTo(once);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(written);
        for (String name : MIXED_ROUTED) {
            assertThat(out).contains(name + " (user): already routed through tether\n");
        }
        assertThat(out).contains("nothing to change").doesNotContain("written");
        assertThat(Files.readString(ConfigFiles.backupOf(file))).isEqualTo(MIXED);
    }

    @Test
    void aDryRunOfAllOrOfItsUndoShowsEachChangeAndWritesNothing() throws IOException {
        Path file = userFile(McpHost.CLAUDE_DESKTOP);
        Files.writeString(file, MIXED);

        String out = run(McpHost.CLAUDE_DESKTOP, true, false, false, true);

        assertThat(out).contains("    - uvx mcp-server-fetch --ignore-robots-txt\n"
                        + "    + /opt/tether/tether run -- uvx mcp-server-fetch --ignore-robots-txt\n")
                .contains("    - node /home/dev/mcp/build/index.js\n"
                        + "    + /opt/tether/tether run -- node /home/dev/mcp/build/index.js\n")
                .contains("dry run: would route 6 servers; nothing written");
        assertThat(Files.readString(file)).isEqualTo(MIXED);
        assertThat(ConfigFiles.backupOf(file)).doesNotExist();

        run(McpHost.CLAUDE_DESKTOP, false, false, false, true);
        String routed = Files.readString(file);
        String undo = run(McpHost.CLAUDE_DESKTOP, true, true);

        assertThat(undo).contains("    - /opt/tether/tether run -- uvx mcp-server-fetch --ignore-robots-txt\n"
                        + "    + uvx mcp-server-fetch --ignore-robots-txt\n")
                .contains("dry run: would un-route 7 servers; nothing written");
        assertThat(Files.readString(file)).isEqualTo(routed);
    }

    private static final String CLOCK = """
                "clock": {
                  "command": "uvx",
                  "args": [
                    "mcp-server-time"
                  ]
                },\
            """;
    private static final String CLOCK_ROUTED = """
                "clock": {
                  "command": "/opt/tether/tether",
                  "args": [
                    "run",
                    "--",
                    "uvx",
                    "mcp-server-time"
                  ]
                },\
            """;
    private static final String MEMORY = """
                "memory": {
                  "command": "docker",
                  "args": [
                    "run",
                    "-i",
                    "--rm",
                    "mcp/memory"
                  ]
                }\
            """;
    private static final String MEMORY_ROUTED = """
                "memory": {
                  "command": "/opt/tether/tether",
                  "args": [
                    "run",
                    "--",
                    "docker",
                    "run",
                    "-i",
                    "--rm",
                    "mcp/memory"
                  ]
                }\
            """;

    /** The host's user file, its folder made. */
    private Path userFile(McpHost host) throws IOException {
        Path file = host.locations(dirs, java.util.Optional.empty()).getFirst().path();
        Files.createDirectories(file.getParent());
        return file;
    }

    /** The JSON in one canonical layout: key order kept, so that a moved key shows. */
    private static String pretty(String json) throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
    }

    private static final String PROJECTS = "\n  \"projects\": {";
    private static final String BLOG = "\n    \"/home/dev/blog\": {\n      \"mcpServers\": {}\n    },";

    /** {@code text} with the one server at {@code indent} whose args are "run", then {@code args}, routed through tether. */
    private static String route(String text, int indent, String command, String... args) {
        return routeIndented(text, indent, "  ", command, args);
    }

    private static String routeIndented(String text, int indent, String unit, String command, String... args) {
        return replaceOnce(text, block(indent, unit, command, List.of("run"), args),
                block(indent, unit, LAUNCHER, List.of("run", "--", command, "run"), args));
    }

    private static String unroute(String text, int indent, String command, String... args) {
        return replaceOnce(text, block(indent, "  ", LAUNCHER, List.of("run", "--", command, "run"), args),
                block(indent, "  ", command, List.of("run"), args));
    }

    /** The lines of a server's command and its first args (each followed by more), as JSON.stringify indents them. */
    private static String block(int indent, String unit, String command, List<String> first, String... rest) {
        String i = " ".repeat(indent);
        StringBuilder b = new StringBuilder(i + "\"command\": \"" + command + "\",\n" + i + "\"args\": [");
        Stream.concat(first.stream(), Stream.of(rest)).forEach(a -> b.append("\n").append(i).append(unit).append("\"").append(a).append("\","));
        return b.toString();
    }

    private static String replaceOnce(String text, String from, String to) {
        int at = text.indexOf(from);
        assertThat(at).as("the fixture holds\n" + from).isNotNegative();
        assertThat(text.indexOf(from, at + 1)).as("only once:\n" + from).isNegative();
        return text.substring(0, at) + to + text.substring(at + from.length());
    }

    private String run(McpHost host, boolean dryRun, boolean undo) {
        return run(host, dryRun, undo, false);
    }

    private String run(McpHost host, boolean dryRun, boolean undo, boolean projectChosen) {
        return run(host, dryRun, undo, projectChosen, false);
    }

    private String run(McpHost host, boolean dryRun, boolean undo, boolean projectChosen, boolean all) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            int status = McpSetup.run(new McpSetup.Options(host, dirs, project, projectChosen, LAUNCHER, dryRun, undo, all), out);
            assertThat(status).isZero();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static List<String> strings(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
