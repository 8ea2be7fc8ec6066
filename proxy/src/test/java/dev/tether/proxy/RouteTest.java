package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "POST /containers/create HTTP/1.1",
            "POST /v1.41/containers/create?name=x HTTP/1.1",
            "POST /v1.53/containers/create HTTP/1.1",
            "POST /containers%2Fcreate HTTP/1.1",
            "POST /containers/%63reate HTTP/1.1",
            "POST //containers//create HTTP/1.1",
            "POST /containers/./create HTTP/1.1",
            "POST /foo/../containers/create HTTP/1.1",
            "POST /Containers/Create HTTP/1.1",
            "post /containers/create HTTP/1.1",
            "POST http://docker/v1.41/containers/create HTTP/1.1",
            "POST /containers/create#frag HTTP/1.1",
            // Each of these reaches the engine's create handler, or its 301 to it (checked on engine 20.10).
            "POST /v1.41.0/containers/create HTTP/1.1",
            "POST /v01.41/containers/create HTTP/1.1",
            "POST /v1.41./containers/create HTTP/1.1",
            "POST /v./containers/create HTTP/1.1",
            "POST /v1.41%2Fcontainers%2Fcreate HTTP/1.1",
            "POST /%63ontainers/cre%61te HTTP/1.1",
            "POST /v1.41//containers/create HTTP/1.1",
            "POST /v1.41/../containers/create HTTP/1.1",
            "POST /containers/create/ HTTP/1.1",
            "POST /containers/create/. HTTP/1.1",
            "POST /containers/%2e/create HTTP/1.1",
            "POST /containers/create%2F. HTTP/1.1",
            "POST /containers/create? HTTP/1.1",
            "POST HTTP://docker/containers/create HTTP/1.1",
            "POST HtTpS://a@docker/containers/create?name=x HTTP/1.1",
            "POST http://docker//containers/create HTTP/1.1",
            "POST http://docker/v1.41/../containers/create HTTP/1.1",
            // podman's version prefix, and casings no engine routes: labelled all the same
            "POST /v4.0.0-rc1/containers/create HTTP/1.1",
            "POST /V1.41/containers/create HTTP/1.1",
            "POST /CONTAINERS/create HTTP/1.1"})
    void everySpellingOfCreateIsACreate(String requestLine) throws Exception {
        assertThat(Route.of(head(requestLine))).isEqualTo(Route.CREATE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "POST /containers/abc/attach?stream=1&stdin=1 HTTP/1.1 | HIJACK",
            "POST /v1.41/exec/abc/start HTTP/1.1                  | HIJACK",
            "GET /containers/create HTTP/1.1                      | OTHER",
            "POST /containers/create/x HTTP/1.1                   | OTHER",
            "POST /containers/create%3Fname=x HTTP/1.1            | OTHER",
            "POST /containers/create/.. HTTP/1.1                  | OTHER",
            "POST http://docker?/containers/create HTTP/1.1       | OTHER",
            "POST http://docker HTTP/1.1                          | OTHER",
            "GET /containers/json HTTP/1.1                        | OTHER",
            "POST /containers/abc/start HTTP/1.1                  | OTHER"})
    void otherRoutes(String requestLine, Route expected) throws Exception {
        assertThat(Route.of(head(requestLine))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"foo://docker/containers/create", "unix:///containers/create", "http:/containers/create",
            "http:containers/create", "HTTP:/v1.41/containers/create", "*", "containers/create", "docker/containers/create",
            ":/containers/create", "h+t-t.p://docker/containers/create"})
    void aTargetThatIsNeitherAPathNorAnHttpUrlIsRefused(String target) {
        // Go's net/http routes the first four as creates; tether does not guess how an engine reads such forms.
        assertThatThrownBy(() -> Route.of(head("POST " + target + " HTTP/1.1")))
                .isInstanceOf(HttpHead.Malformed.class)
                .hasMessageStartingWith("request target '" + target + "' is neither a path nor an http:// URL")
                .hasMessageEndingWith("; send a path such as /containers/create");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Connection: Upgrade\r\nUpgrade: h2c", "Upgrade: websocket", "Connection: keep-alive, upgrade"})
    void anUpgradeRequestMayHijack(String headers) throws Exception {
        assertThat(Route.of(head("GET /session HTTP/1.1\r\n" + headers))).isEqualTo(Route.HIJACK);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "POST /v1.41/containers/mcp/attach?stderr=1&stdin=1&stdout=1&stream=1 HTTP/1.1 | mcp",
            "POST /containers/abc123/attach?stdin=true&stream=true HTTP/1.1             | abc123",
            "POST /containers/abc/attach?stream=1&stdout=1 HTTP/1.1                     | ",
            "POST /containers/abc/attach?stdin=0 HTTP/1.1                               | ",
            "POST /containers/abc/start?stdin=1 HTTP/1.1                                | "})
    void stdinAttachNamesItsContainer(String requestLine, String container) throws Exception {
        assertThat(Route.stdinAttach(head(requestLine))).isEqualTo(java.util.Optional.ofNullable(container));
    }

    private static RequestHead head(String text) throws HttpHead.Malformed {
        ByteBuf buf = Unpooled.copiedBuffer(text + "\r\nHost: docker\r\n\r\n", StandardCharsets.ISO_8859_1);
        return RequestHead.parse(buf, 0, HttpHead.end(buf, 0));
    }
}
