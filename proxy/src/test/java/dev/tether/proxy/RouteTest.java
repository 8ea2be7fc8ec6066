package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
            "POST /containers/create#frag HTTP/1.1"})
    void everySpellingOfCreateIsACreate(String requestLine) throws Exception {
        assertThat(Route.of(head(requestLine))).isEqualTo(Route.CREATE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "POST /containers/abc/attach?stream=1&stdin=1 HTTP/1.1 | HIJACK",
            "POST /v1.41/exec/abc/start HTTP/1.1                  | HIJACK",
            "GET /containers/create HTTP/1.1                      | OTHER",
            "POST /containers/create/x HTTP/1.1                   | OTHER",
            "GET /containers/json HTTP/1.1                        | OTHER",
            "POST /containers/abc/start HTTP/1.1                  | OTHER"})
    void otherRoutes(String requestLine, Route expected) throws Exception {
        assertThat(Route.of(head(requestLine))).isEqualTo(expected);
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

    private static HttpHead head(String text) throws HttpHead.Malformed {
        ByteBuf buf = Unpooled.copiedBuffer(text + "\r\nHost: docker\r\n\r\n", StandardCharsets.ISO_8859_1);
        return HttpHead.parse(buf, 0, HttpHead.end(buf, 0));
    }
}
