package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.labeler.TetherLabels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * However a client spells {@code POST /containers/create}, a container the engine makes through tether carries
 * tether's labels. What the engine does with each spelling was checked on engine 20.10 (Go's net/http and
 * gorilla/mux): it decodes %XX, cleans dot segments and double slashes only to answer 301, matches case-sensitively,
 * takes any {@code /v[0-9.]+} prefix, and routes absolute-form URLs of any scheme.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PathSpellingsIT {

    @RegisterExtension
    static final TetherExtension tether = new TetherExtension();

    private static final AtomicInteger CASES = new AtomicInteger();

    enum Outcome { CREATED, NOT_CREATED, REFUSED_BY_TETHER }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "POST | /containers/create                      | CREATED",
            "POST | /v1.41/containers/create                | CREATED",
            "POST | /containers%2Fcreate                    | CREATED",
            "POST | /containers/%63reate                    | CREATED",
            "POST | /%63ontainers/cre%61te                  | CREATED",
            "POST | /v1.41%2Fcontainers%2Fcreate            | CREATED",
            "POST | /v1.41.0/containers/create              | CREATED",
            "POST | /v01.41/containers/create               | CREATED",
            "POST | /v1.41./containers/create               | CREATED",
            "POST | http://docker/containers/create         | CREATED",
            "POST | HTTP://docker/v1.41/containers/create   | CREATED",
            "POST | https://user@docker/containers/create   | CREATED",
            // the engine answers 301 to the clean path
            "POST | /./containers/create                    | NOT_CREATED",
            "POST | /foo/../containers/create               | NOT_CREATED",
            "POST | //containers/create                     | NOT_CREATED",
            "POST | /containers//create                     | NOT_CREATED",
            "POST | /v1.41//containers/create               | NOT_CREATED",
            "POST | /v1.41/../containers/create             | NOT_CREATED",
            "POST | /containers/create/.                    | NOT_CREATED",
            "POST | /containers/%2e/create                  | NOT_CREATED",
            "POST | http://docker//containers/create        | NOT_CREATED",
            // 404, or a version the engine refuses
            "POST | /CONTAINERS/create                      | NOT_CREATED",
            "POST | /V1.41/containers/create                | NOT_CREATED",
            "POST | /containers/create/                     | NOT_CREATED",
            "POST | /containers/create%2F                   | NOT_CREATED",
            "POST | /containers/create%3Fx=1                | NOT_CREATED",
            "POST | /containers/create#x                    | NOT_CREATED",
            "POST | /v.1.41/containers/create               | NOT_CREATED",
            "post | /containers/create                      | NOT_CREATED",
            // the engine routes these as creates; tether refuses them
            "POST | foo://docker/containers/create          | REFUSED_BY_TETHER",
            "POST | unix:///containers/create               | REFUSED_BY_TETHER",
            "POST | http:/containers/create                 | REFUSED_BY_TETHER",
            "POST | http:containers/create                  | REFUSED_BY_TETHER"})
    void aCreateTheEngineMakesThroughTetherIsLabelled(String method, String path, Outcome expected) {
        String id = caseId();
        String name = Engine.name("path");
        String target = path + (path.contains("?") ? "&" : "?") + "name=" + name + "&x=" + id;
        RawHttp.Response r = tether.call(RawHttp.request(method, target).json(spec(id)));

        JsonNode created = containerOfCase(id);
        try {
            if (created != null) {
                tether.assertLabelledByTether(created, ProcessHandle.current().pid());
                assertThat(r.status()).as(r.toString()).isEqualTo(201);
            }
            Outcome outcome = created != null ? Outcome.CREATED
                    : r.text().startsWith("{\"message\":\"tether: ") ? Outcome.REFUSED_BY_TETHER : Outcome.NOT_CREATED;
            assertThat(outcome).as("%s %s answered %s", method, target, r).isEqualTo(expected);
            if (outcome == Outcome.REFUSED_BY_TETHER) {
                assertThat(r.status()).isEqualTo(400);
                assertThat(r.json().get("message").asText()).startsWith("tether: request target '")
                        .endsWith("; send a path such as /containers/create");
            }
        } finally {
            if (created != null) {
                Engine.remove(created.get("Id").asText());
            }
        }
    }

    @Test
    void aQueryStringDoesNotHideACreate() {
        String id = caseId();
        RawHttp.Response r = tether.call(RawHttp.request("POST", "/v1.41/containers/create?x=1&x=%2F..%2F&y")
                .json(spec(id)));

        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode c = containerOfCase(id);
        tether.assertLabelledByTether(c, ProcessHandle.current().pid());
        Engine.remove(c.get("Id").asText());
    }

    /** A client that follows the engine's 301 with the same POST (curl --post301) comes back through tether. */
    @Test
    void aClientFollowingTheEnginesRedirectIsLabelled() throws Exception {
        String id = caseId();
        String name = Engine.name("redirect");
        Path body = Files.writeString(tether.dir().resolve("body-" + id + ".json"), spec(id), StandardCharsets.UTF_8);
        Process curl = new ProcessBuilder("curl", "-sS", "--unix-socket", tether.socket().toString(), "--path-as-is",
                "-L", "--post301", "-H", "Content-Type: application/json", "--data-binary", "@" + body,
                "-o", "/dev/null", "-w", "%{http_code} %{num_redirects}",
                "http://docker/./v1.41//containers/create?name=" + name)
                .redirectErrorStream(true).start();
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(out).isEqualTo("201 1");
        JsonNode c = Engine.inspect(name);
        try {
            assertThat(c.at("/Config/Labels").path(TetherLabels.OWNER_PID).asText())
                    .isEqualTo(Long.toString(curl.pid()));
            assertThat(c.at("/Config/Labels").path(TetherLabels.INSTANCE).asText())
                    .isEqualTo(tether.proxy().instance());
        } finally {
            Engine.remove(name);
        }
    }

    private static String caseId() {
        return Engine.RUN_ID + "-" + CASES.incrementAndGet();
    }

    private static String spec(String id) {
        ObjectNode spec = Engine.containerSpec("true");
        ((ObjectNode) spec.get("Labels")).put("it.case", id);
        return spec.toString();
    }

    /** The container made for this case, found by its label, or null: whatever path or name the engine saw. */
    private static JsonNode containerOfCase(String id) {
        String filter = "{\"label\":[\"it.case=" + id + "\"]}";
        RawHttp.Response list = Engine.call("GET", "/containers/json?all=1&filters=" + Engine.encode(filter));
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        assertThat(list.json().size()).as("containers of case " + id).isLessThanOrEqualTo(1);
        return list.json().isEmpty() ? null : Engine.inspect(list.json().get(0).get("Id").asText());
    }
}
