package dev.tether.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class McpCommandTest {

    private static Optional<McpCommand.Match> match(String... argv) {
        return McpCommand.match(List.of(argv));
    }

    @Test
    void runnersWithAnMcpPackageMatch() {
        assertThat(match("npx", "-y", "@modelcontextprotocol/server-filesystem", "/tmp"))
                .contains(new McpCommand.Match("npx", "@modelcontextprotocol/server-filesystem"));
        assertThat(match("/usr/bin/node", "/home/u/.npm/_npx/1/node_modules/.bin/mcp-server-filesystem", "/tmp"))
                .contains(new McpCommand.Match("node", "/home/u/.npm/_npx/1/node_modules/.bin/mcp-server-filesystem"));
        assertThat(match("uvx", "mcp-server-fetch")).contains(new McpCommand.Match("uvx", "mcp-server-fetch"));
        assertThat(match("python3", "-m", "mcp_server_git")).contains(new McpCommand.Match("python", "mcp_server_git"));
        assertThat(match("/usr/bin/python3.12", "/srv/weather-mcp/server.py")).map(McpCommand.Match::runner).contains("python");
        assertThat(match("npm", "exec", "@playwright/mcp")).contains(new McpCommand.Match("npm exec", "@playwright/mcp"));
        assertThat(match("docker", "run", "-i", "--rm", "mcp/fetch")).contains(new McpCommand.Match("docker run", "mcp/fetch"));
        assertThat(match("github-mcp-server", "stdio")).map(McpCommand.Match::runner).contains(McpCommand.OWN_PROGRAM);
    }

    @Test
    void aTitleSetByNpmIsReadAsWords() {
        // npm sets process.title: /proc/PID/cmdline then holds one string with spaces, padded with empty ones
        assertThat(match("npm exec @playwright/mcp", "", "")).contains(new McpCommand.Match("npm exec", "@playwright/mcp"));
    }

    @Test
    void runnersWithoutMcpAndMcpWithoutRunnerDoNotMatch() {
        assertThat(match("node", "/srv/app/server.js")).isEmpty();
        assertThat(match("npx", "prettier", "--write", ".")).isEmpty();
        assertThat(match("python3", "-m", "http.server")).isEmpty();
        assertThat(match("npm", "install", "@modelcontextprotocol/sdk")).as("npm, but not a runner").isEmpty();
        assertThat(match("docker", "ps", "--filter", "name=mcp")).as("docker, but no run").isEmpty();
        assertThat(match("bash", "-c", "sleep 600", "mcp-server-lookalike")).as("a shell is no runner").isEmpty();
        assertThat(match("sleep", "600")).isEmpty();
        assertThat(match()).isEmpty();
    }

    @Test
    void fdinfoFlagsTellWriteEndsFromReadEnds() {
        assertThat(Orphans.writes("pos:\t0\nflags:\t02000001\nmnt_id:\t15\nino:\t3137351\n")).as("O_WRONLY|O_CLOEXEC").isTrue();
        assertThat(Orphans.writes("pos:\t0\nflags:\t02\nmnt_id:\t15\n")).as("O_RDWR").isTrue();
        assertThat(Orphans.writes("pos:\t0\nflags:\t00\nmnt_id:\t15\n")).as("O_RDONLY").isFalse();
        assertThat(Orphans.writes("pos:\t0\nflags:\t04000\nmnt_id:\t15\n")).as("O_RDONLY|O_NONBLOCK").isFalse();
    }
}
