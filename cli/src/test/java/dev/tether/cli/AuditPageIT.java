package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proxy.Cli;
import dev.tether.proxy.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tether audit --html} as a user opens it: three real lifecycles through a tether (reaped after its host's
 * SIGKILL, exited by itself with {@code --rm}, still running), the page written from that tether's journal, then
 * rendered by a real browser (Debian's headless Chromium), whose DOM is what is checked: a bar per container, placed
 * on the timeline, coloured by how it ended, its owner and host in the hover text.
 */
@Timeout(240)
class AuditPageIT {

    private static final String CHROMIUM = "/usr/bin/chromium-headless-shell";
    private static final Pattern BAR = Pattern.compile("<div class=\"bar ([a-z-]+)\"[^>]*>", Pattern.DOTALL);

    private static Path dir;
    private static Path journal;
    private static ReapKit.Tether tether;

    @BeforeAll
    static void up() throws IOException {
        Engine.ensureImage();
        dir = Files.createTempDirectory(Path.of("/tmp"), "audit-page");
        journal = dir.resolve("audit.jsonl");
        tether = ReapKit.Tether.up(dir.resolve("d.sock"), "--audit-log", journal.toString());
    }

    @AfterAll
    static void down() {
        ReapKit.tearDown("AuditPageIT", dir, tether);
    }

    @Test
    void thePageShowsEachLifecycleAsABarColouredByHowItEndedWithOwnerAndHostOnHover() throws Exception {
        Cli.requireInstalled(Cli.NEW);
        assertThat(Path.of(CHROMIUM)).as("Debian's chromium-headless-shell (.ci/run installs it)").isExecutable();
        Cli docker = new Cli(Cli.NEW, tether.socket);
        String livingName = Engine.name("page-living");
        try (ReapHost living = ReapHost.start(Cli.NEW, tether.socket, livingName);
             ReapHost killed = ReapHost.start(Cli.NEW, tether.socket, Engine.name("page-reaped"))) {
            String exited = Engine.name("page-exited");
            Cli.Result run = docker.run("run", "--rm", "--name", exited, "--label", Engine.labelArg(), "--network", "none",
                    Engine.TEST_IMAGE, "true");
            assertThat(run.exitCode()).as(run.toString()).isZero();
            ReapKit.sigkill(killed.hostHandle);
            tether.awaitReaped(killed.name);
            awaitJournalSays(killed.name, exited);

            Path page = dir.resolve("lifecycles.html");
            Cli.Result wrote = ReapKit.tetherSays("audit", "--html", page.toString(), "--audit-log", journal.toString());
            assertThat(wrote.out()).as(wrote.toString()).contains("wrote 3 container lifecycles to " + page);

            Map<String, Map<String, String>> bars = barsByName(render(page));
            assertThat(bars.keySet()).containsExactlyInAnyOrder(living.name, killed.name, exited);

            Map<String, String> reaped = bars.get(killed.name);
            assertThat(reaped.get("class")).isEqualTo("reaped-host");
            assertThat(reaped.get("title")).contains("reaped: its host exited", "tie: session",
                    "owner: " + killed.cliPid() + " docker", "host: " + killed.hostPid() + " bash");
            assertThat(bars.get(exited).get("class")).isEqualTo("exited");
            assertThat(bars.get(exited).get("title")).contains("exit code 0", "tie: none");
            Map<String, String> alive = bars.get(living.name);
            assertThat(alive.get("class")).isEqualTo("living");
            assertThat(alive.get("title")).contains("owner: " + living.cliPid() + " docker");
            assertThat(left(alive) + width(alive)).as("a living container's bar reaches now, the right edge")
                    .isCloseTo(100.0, org.assertj.core.data.Offset.offset(0.01));
            assertThat(left(alive)).as("it was created first").isLessThan(left(reaped));
            assertThat(left(reaped) + width(reaped)).as("the reaped one ended before now").isLessThan(100.0);
            assertThat(width(reaped)).isPositive();
        } finally {
            Engine.remove(livingName);
        }
    }

    /** Until the journal holds the destroy of each of {@code names}: the page is made from what it holds. */
    private static void awaitJournalSays(String... names) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            String text = Files.readString(journal);
            Map<String, String> ids = new HashMap<>();
            for (String line : text.lines().toList()) {
                for (String name : names) {
                    if (line.contains("\"event\":\"create\"") && line.contains("\"name\":\"" + name + "\"")) {
                        ids.put(name, line.replaceAll(".*\"container\":\"([0-9a-f]+)\".*", "$1"));
                    }
                }
            }
            boolean all = ids.size() == names.length && ids.values().stream()
                    .allMatch(id -> text.contains("\"container\":\"" + id + "\",\"event\":\"destroy\""));
            if (all) {
                return;
            }
            assertThat(System.nanoTime()).as("the destroys of %s in %s:\n%s", List.of(names), journal, text)
                    .isLessThan(deadline);
            ReapKit.pause(100);
        }
    }

    /** The page's DOM after Chromium ran its script. */
    private static String render(Path page) throws Exception {
        Process chromium = new ProcessBuilder(CHROMIUM, "--no-sandbox", "--disable-gpu", "--dump-dom", page.toUri().toString())
                .redirectError(dir.resolve("chromium.log").toFile()).start();
        String dom = new String(chromium.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(chromium.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(chromium.exitValue()).as(Files.readString(dir.resolve("chromium.log"))).isZero();
        assertThat(dom).as("the script ran").contains("<p id=\"summary\">3 containers</p>");
        return dom;
    }

    /** Each bar's attributes (class, title, left, width), by the name in its title's first line. */
    private static Map<String, Map<String, String>> barsByName(String dom) {
        Map<String, Map<String, String>> bars = new HashMap<>();
        Matcher m = BAR.matcher(dom);
        while (m.find()) {
            String tag = m.group();
            Map<String, String> bar = new HashMap<>();
            bar.put("class", m.group(1));
            bar.put("title", attribute(tag, "title").replace("&amp;", "&"));
            String style = attribute(tag, "style");
            bar.put("left", style.replaceAll(".*left: ([0-9.]+)%.*", "$1"));
            bar.put("width", style.replaceAll(".*width: ([0-9.]+)%.*", "$1"));
            bars.put(bar.get("title").split(" \\(")[0], bar);
        }
        return bars;
    }

    private static String attribute(String tag, String name) {
        Matcher m = Pattern.compile(" " + name + "=\"([^\"]*)\"", Pattern.DOTALL).matcher(tag);
        assertThat(m.find()).as("%s in %s", name, tag).isTrue();
        return m.group(1);
    }

    private static double left(Map<String, String> bar) {
        return Double.parseDouble(bar.get("left"));
    }

    private static double width(Map<String, String> bar) {
        return Double.parseDouble(bar.get("width"));
    }
}
