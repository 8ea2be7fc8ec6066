package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * {@code tether audit --html}: the journal as one self-contained page, a timeline with a bar per container from its
 * create to its destroy (or to now, while it lives), coloured by how it ended, its owner and host on hover. The page
 * carries its data as JSON and draws itself with a few lines of script: no network, no files beside it.
 */
final class AuditPage {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a lifecycle ended, as the page colours it. */
    enum Ending {
        REAPED_OWNER("reaped: its owner exited", "#d62728"),
        REAPED_HOST("reaped: its host exited", "#ff7f0e"),
        REAPED_SESSION("reaped: its stdin session ended", "#9467bd"),
        EXITED("exited by itself, then removed", "#2ca02c"),
        REMOVED("removed while running (by a client)", "#8c564b"),
        LIVING("no end in the journal: still there, or ended while no tether ran", "#1f77b4");

        final String words;
        final String colour;

        Ending(String words, String colour) {
            this.words = words;
            this.colour = colour;
        }

        String css() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** One container's life as the journal tells it. */
    record Lifecycle(String id, String name, String owner, String host, String tie, Instant created,
                     Optional<Instant> destroyed, Ending ending, String detail) {}

    private final Map<String, Builder> byId = new LinkedHashMap<>();

    /** Takes one journal record; records of containers whose create is not in the journal are left out. */
    void add(JsonNode record) {
        Instant at;
        try {
            at = Instant.parse(record.path("time").asText());
        } catch (DateTimeParseException e) {
            return;
        }
        String id = record.path("container").asText("");
        String event = record.path("event").asText("");
        if (event.equals("create")) {
            byId.put(id, new Builder(id, ContainerRef.withoutSlash(record.path("name").asText("")),
                    process(record.path("owner")), process(record.path("host")), record.path("tie").asText("-"), at));
            return;
        }
        Builder b = byId.get(id);
        if (b == null) {
            return;
        }
        switch (event) {
            case "reap" -> b.reason = Optional.of(record.path("reason").asText());
            case "die" -> b.exitCode = b.exitCode.or(() -> Optional.of(record.path("exitCode").asText("?")));
            case "destroy" -> b.destroyed = Optional.of(at);
            default -> { }
        }
    }

    List<Lifecycle> lifecycles() {
        return byId.values().stream().map(Builder::build).toList();
    }

    /** The page, whole, with the lifecycles {@code shown} keeps; {@code now} ends the bars of those that still live. */
    String html(Instant now, Predicate<Lifecycle> shown) {
        ArrayNode data = JSON.createArrayNode();
        for (Lifecycle l : lifecycles().stream().filter(shown).toList()) {
            ObjectNode o = data.addObject();
            o.put("id", l.id().length() > 12 ? l.id().substring(0, 12) : l.id());
            o.put("name", l.name().isEmpty() ? o.path("id").asText() : l.name());
            o.put("owner", l.owner());
            o.put("host", l.host());
            o.put("tie", l.tie());
            o.put("created", l.created().toEpochMilli());
            o.put("ended", l.destroyed().orElse(now).toEpochMilli());
            o.put("ending", l.ending().css());
            o.put("how", l.ending().words + (l.detail().isEmpty() ? "" : " (" + l.detail() + ")"));
        }
        ObjectNode legend = JSON.createObjectNode();
        for (Ending e : Ending.values()) {
            legend.putObject(e.css()).put("words", e.words).put("colour", e.colour);
        }
        String page = TEMPLATE
                .replace("/*DATA*/", safeInScript(data.toString()))
                .replace("/*LEGEND*/", safeInScript(legend.toString()))
                .replace("/*NOW*/", Long.toString(now.toEpochMilli()));
        return page;
    }

    /** JSON inside a script element: "</script>" or "<!--" in a name or command must not end or bend it. */
    private static String safeInScript(String json) {
        return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    }

    private static String process(JsonNode p) {
        if (!p.isObject() || p.path("pid").asLong(0) <= 0) {
            return "-";
        }
        String exe = p.path("exe").asText("");
        return p.path("pid").asLong() + (exe.isEmpty() ? "" : " " + exe.substring(exe.lastIndexOf('/') + 1));
    }

    private static final class Builder {
        final String id;
        final String name;
        final String owner;
        final String host;
        final String tie;
        final Instant created;
        Optional<String> reason = Optional.empty();
        Optional<String> exitCode = Optional.empty();
        Optional<Instant> destroyed = Optional.empty();

        Builder(String id, String name, String owner, String host, String tie, Instant created) {
            this.id = id;
            this.name = name;
            this.owner = owner;
            this.host = host;
            this.tie = tie;
            this.created = created;
        }

        Lifecycle build() {
            Ending ending;
            String detail = "";
            if (reason.isPresent()) {
                ending = switch (reason.get()) {
                    case "owner-exit" -> Ending.REAPED_OWNER;
                    case "host-exit" -> Ending.REAPED_HOST;
                    default -> Ending.REAPED_SESSION;
                };
            } else if (destroyed.isEmpty()) {
                ending = Ending.LIVING;
                detail = exitCode.map(c -> "exited with " + c + ", not removed").orElse("");
            } else if (exitCode.isPresent()) {
                ending = Ending.EXITED;
                detail = "exit code " + exitCode.get();
            } else {
                ending = Ending.REMOVED;
            }
            return new Lifecycle(id, name, owner, host, tie, created, destroyed, ending, detail);
        }
    }

    private static final String TEMPLATE = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>tether: container lifecycles</title>
            <style>
              body { font: 13px system-ui, sans-serif; margin: 1.5em; color: #222; }
              h1 { font-size: 1.2em; }
              #legend span { display: inline-block; margin-right: 1.2em; }
              #legend i { display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin-right: .3em; }
              .row { display: flex; align-items: center; height: 20px; }
              .name { width: 22em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
              .track { position: relative; flex: 1; height: 14px; background: #f2f2f2; }
              .bar { position: absolute; top: 0; height: 14px; min-width: 2px; }
              .axis { display: flex; justify-content: space-between; margin-left: 22em; color: #666; }
            </style>
            </head>
            <body>
            <h1>tether: container lifecycles</h1>
            <p id="summary"></p>
            <p id="legend"></p>
            <div class="axis"><span id="from"></span><span id="to"></span></div>
            <div id="timeline"></div>
            <script type="application/json" id="lifecycles">/*DATA*/</script>
            <script type="application/json" id="endings">/*LEGEND*/</script>
            <script>
              const lifecycles = JSON.parse(document.getElementById('lifecycles').textContent);
              const endings = JSON.parse(document.getElementById('endings').textContent);
              const legend = document.getElementById('legend');
              for (const [key, e] of Object.entries(endings)) {
                const s = document.createElement('span');
                const swatch = document.createElement('i');
                swatch.style.background = e.colour;
                s.append(swatch, e.words);
                legend.append(s);
              }
              const from = Math.min(...lifecycles.map(l => l.created), /*NOW*/);
              const to = Math.max(...lifecycles.map(l => l.ended), from + 1);
              const when = ms => new Date(ms).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC');
              document.getElementById('from').textContent = when(from);
              document.getElementById('to').textContent = when(to);
              document.getElementById('summary').textContent = lifecycles.length + ' containers';
              const timeline = document.getElementById('timeline');
              for (const l of lifecycles) {
                const row = document.createElement('div');
                row.className = 'row';
                const name = document.createElement('div');
                name.className = 'name';
                name.textContent = l.name;
                const track = document.createElement('div');
                track.className = 'track';
                const bar = document.createElement('div');
                bar.className = 'bar ' + l.ending;
                bar.dataset.container = l.id;
                bar.style.background = endings[l.ending].colour;
                bar.style.left = (100 * (l.created - from) / (to - from)).toFixed(3) + '%';
                bar.style.width = (100 * (l.ended - l.created) / (to - from)).toFixed(3) + '%';
                bar.title = l.name + ' (' + l.id + ')\\n' + l.how + '\\nowner: ' + l.owner + '\\nhost: ' + l.host
                    + '\\ntie: ' + l.tie + '\\n' + when(l.created) + ' to ' + when(l.ended);
                track.append(bar);
                row.append(name, track);
                timeline.append(row);
              }
            </script>
            </body>
            </html>
            """;
}
