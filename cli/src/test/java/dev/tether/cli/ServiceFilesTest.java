package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ServiceFilesTest {

    private static final List<String> COMMAND = List.of("/opt/tether/tether", "up", "--socket", "/run/user/1000/tether/docker.sock");

    @Test
    void theSystemdUnitStartsTheLauncherRestartsOnFailureAndOutwaitsTheDrain() {
        String unit = ServiceFiles.systemdUnit(COMMAND, Map.of());

        assertThat(unit).doesNotContain("Environment=");
        assertThat(unit.lines()).contains(
                "ExecStart=/opt/tether/tether up --socket /run/user/1000/tether/docker.sock",
                "Restart=on-failure",
                "KillSignal=SIGTERM",
                "TimeoutStopSec=30",
                "WantedBy=default.target");
        assertThat(ServiceFiles.STOP_TIMEOUT_SECONDS).as("longer than tether up's default --drain of 10 s").isGreaterThan(10);
    }

    @Test
    void theEnginesVariablesGoIntoTheUnitQuotedForSystemd() {
        var env = new java.util.TreeMap<>(Map.of("DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", "/home/me/my 100% \"certs\""));
        String unit = ServiceFiles.systemdUnit(COMMAND, env);

        assertThat(unit.lines()).containsSubsequence(
                "Environment=\"DOCKER_CERT_PATH=/home/me/my 100%% \\\"certs\\\"\"",
                "Environment=\"DOCKER_TLS_VERIFY=1\"",
                "ExecStart=/opt/tether/tether up --socket /run/user/1000/tether/docker.sock");
    }

    @Test
    void execStartWordsWithBlanksQuotesPercentOrDollarAreEscapedForSystemd() {
        assertThat(ServiceFiles.systemdWord("/home/me/tether")).isEqualTo("/home/me/tether");
        assertThat(ServiceFiles.systemdWord("/home/my code/tether")).isEqualTo("\"/home/my code/tether\"");
        assertThat(ServiceFiles.systemdWord("/a\"b\\c")).isEqualTo("\"/a\\\"b\\\\c\"");
        assertThat(ServiceFiles.systemdWord("/run/100%/x")).isEqualTo("/run/100%%/x");
        assertThat(ServiceFiles.systemdWord("/x/$HOME")).isEqualTo("/x/$$HOME");
        assertThat(ServiceFiles.systemdWord(";")).isEqualTo("\";\"");
    }

    @Test
    void theUnitGoesUnderXdgConfigHomeElseDotConfig() {
        Path home = Path.of("/home/me");
        assertThat(ServiceFiles.systemdUnitPath(new UserDirs(home, Map.of("XDG_CONFIG_HOME", "/cfg"), "Linux")))
                .isEqualTo(Path.of("/cfg/systemd/user/tether.service"));
        assertThat(ServiceFiles.systemdUnitPath(new UserDirs(home, Map.of(), "Linux")))
                .isEqualTo(Path.of("/home/me/.config/systemd/user/tether.service"));
        assertThat(ServiceFiles.systemdUnitPath(new UserDirs(home, Map.of("XDG_CONFIG_HOME", "relative"), "Linux")))
                .as("a relative XDG_CONFIG_HOME is ignored, as the spec says")
                .isEqualTo(Path.of("/home/me/.config/systemd/user/tether.service"));
        assertThat(ServiceFiles.systemdWantsLink(Path.of("/cfg/systemd/user/tether.service")))
                .isEqualTo(Path.of("/cfg/systemd/user/default.target.wants/tether.service"));
    }

    @Test
    void theLaunchdAgentIsAValidPlistThatRunsAtLoadAndRestartsOnFailure() throws Exception {
        List<String> command = List.of("/Users/me/a & b/tether", "up", "--socket", "/Users/me/.tether/docker.sock");
        String plist = ServiceFiles.launchdPlist(command, Path.of("/Users/me/Library/Logs/tether.log"),
                Map.of("DOCKER_CONTEXT", "remote & tls"));

        var factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Element dict = (Element) factory.newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(plist.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .getDocumentElement().getElementsByTagName("dict").item(0);
        assertThat(valueAfter(dict, "Label").getTextContent()).isEqualTo("dev.tether");
        NodeList args = valueAfter(dict, "ProgramArguments").getElementsByTagName("string");
        assertThat(java.util.stream.IntStream.range(0, args.getLength()).mapToObj(i -> args.item(i).getTextContent()).toList())
                .as("the arguments, the ampersand unescaped again").isEqualTo(command);
        assertThat(valueAfter(valueAfter(dict, "EnvironmentVariables"), "DOCKER_CONTEXT").getTextContent())
                .as("the engine's variables").isEqualTo("remote & tls");
        assertThat(valueAfter(dict, "RunAtLoad").getTagName()).isEqualTo("true");
        Element keepAlive = valueAfter(dict, "KeepAlive");
        assertThat(valueAfter(keepAlive, "SuccessfulExit").getTagName()).as("restart unless it exited cleanly").isEqualTo("false");
        assertThat(valueAfter(dict, "ExitTimeOut").getTextContent()).isEqualTo("30");
        assertThat(valueAfter(dict, "StandardErrorPath").getTextContent()).isEqualTo("/Users/me/Library/Logs/tether.log");
        assertThat(ServiceFiles.launchdPlistPath(Path.of("/Users/me")))
                .isEqualTo(Path.of("/Users/me/Library/LaunchAgents/dev.tether.plist"));
    }

    /** The element that follows {@code <key>name</key>} in a plist dict. */
    private static Element valueAfter(Element dict, String name) {
        var children = dict.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element key && key.getTagName().equals("key") && key.getTextContent().equals(name)) {
                for (int j = i + 1; j < children.getLength(); j++) {
                    if (children.item(j) instanceof Element value) {
                        return value;
                    }
                }
            }
        }
        throw new AssertionError("no key " + name);
    }
}
