package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link HeadFacts} reads heads from their bytes on the relay's hot path; {@link RequestHead}, {@link StatusHead} and
 * {@link Route} read them as Strings and decide every case. Whenever the byte reading answers, it must answer as
 * they do; when it cannot, it must say so. Checked on the spellings the other tests pin and on generated heads.
 */
class HeadFactsTest {

    private static final List<String> METHODS = List.of("GET", "POST", "post", "PoSt", "HEAD", "head", "PUT", "POS",
            "POSTT", "DELETE");
    private static final List<String> SEGMENTS = List.of("containers", "create", "CREATE", "Containers", "v1.41",
            "V1.43", "v.", "v1.41.0", "v4.0.0-rc1", "v1_2", "vx", "v", "exec", "abc", "start", "attach", "json", "_ping",
            "", ".", "..", "%63reate", "containers%2Fcreate", "a\u00e9", "x?y=1", "create#f", "attach?stdin=1&stream=1",
            "create?", "start?x");
    private static final List<String> HEADERS = List.of("Host: docker", "Content-Length: 12", "content-length: 0",
            "Content-Length:  7 ", "Content-Length: 3,3", "Content-Length: 3, 4", "Content-Length: -1",
            "Content-Length: ", "Content-Length: 1234567890123456789", "Content-Length: 0005", "Content-Length: 5x",
            "Transfer-Encoding: chunked", "transfer-encoding: CHUNKED", "Transfer-Encoding: gzip, chunked",
            "Transfer-Encoding: chunked, gzip", "Transfer-Encoding: gzip", "Transfer-Encoding: ", "Transfer-Encoding:chunked\t",
            "Connection: Upgrade", "Connection: keep-alive, upgrade", "Connection: keep-alive , UPGRADE ,",
            "Connection: upgraded", "Connection: close", "Connection: ,upgrade", "Upgrade: tcp", "Upgrade:",
            "User-Agent: Docker-Client/28.0 (linux)", "X-Weird:\u000bvalue\u001f", "X-Latin: caf\u00e9",
            " folded", "\tfolded", "Bad Header: 1", ": empty name", "NoColon", "X(y): 1", "X-Cr: a\rb",
            "Content-Length\t: 3", "\u00e9: 1");

    @Test
    void everyCaseTheOtherTestsPinIsReadAlike() {
        List<String> lines = List.of(
                "POST /containers/create HTTP/1.1", "POST /v1.41/containers/create?name=x HTTP/1.1",
                "POST /containers%2Fcreate HTTP/1.1", "POST //containers//create HTTP/1.1",
                "POST /containers/./create HTTP/1.1", "POST /foo/../containers/create HTTP/1.1",
                "POST /Containers/Create HTTP/1.1", "post /containers/create HTTP/1.1",
                "POST http://docker/v1.41/containers/create HTTP/1.1", "POST /containers/create#frag HTTP/1.1",
                "POST /v1.41.0/containers/create HTTP/1.1", "POST /v01.41/containers/create HTTP/1.1",
                "POST /v1.41./containers/create HTTP/1.1", "POST /v./containers/create HTTP/1.1",
                "POST /v1.41//containers/create HTTP/1.1", "POST /containers/create/ HTTP/1.1",
                "POST /containers/create? HTTP/1.1", "POST /v4.0.0-rc1/containers/create HTTP/1.1",
                "POST /V1.41/containers/create HTTP/1.1", "POST /CONTAINERS/create HTTP/1.1",
                "POST /containers/abc/attach?stream=1&stdin=1 HTTP/1.1", "POST /v1.41/exec/abc/start HTTP/1.1",
                "GET /containers/create HTTP/1.1", "POST /containers/create/x HTTP/1.1",
                "POST /containers/create/.. HTTP/1.1", "GET /containers/json HTTP/1.1", "GET / HTTP/1.1",
                "GET /? HTTP/1.1", "GET /v1.41 HTTP/1.1", "GET /v1.41/ HTTP/1.1", "POST /containers/abc/start HTTP/1.1",
                "POST foo://docker/containers/create HTTP/1.1", "POST * HTTP/1.1", "GET /x HTTP/1.1 extra",
                "GET /x", "GET  /x HTTP/1.1", " GET /x HTTP/1.1", "GET /x  HTTP/1.1", "", "GARBAGE");
        for (String line : lines) {
            for (String header : HEADERS) {
                requestAgrees(line + "\r\n" + header + "\r\n\r\n");
                requestAgrees(line + "\n" + header + "\n\n");
            }
        }
    }

    @Test
    void generatedHeadsAreReadAlike() {
        Random random = new Random(16);
        for (int i = 0; i < 50_000; i++) {
            StringBuilder head = new StringBuilder(pick(random, METHODS)).append(' ');
            if (random.nextInt(10) == 0) {
                head.append("http://docker");
            }
            int segments = random.nextInt(5);
            for (int s = 0; s < segments; s++) {
                head.append('/').append(pick(random, SEGMENTS));
            }
            if (segments == 0 || random.nextInt(8) == 0) {
                head.append('/');
            }
            head.append(" HTTP/1.1");
            String eol = random.nextInt(4) == 0 ? "\n" : "\r\n";
            head.append(eol);
            int headers = random.nextInt(4);
            for (int h = 0; h < headers; h++) {
                head.append(pick(random, HEADERS)).append(eol);
            }
            head.append(eol);
            requestAgrees(head.toString());
        }
    }

    @Test
    void responsesAreReadAlike() {
        List<String> lines = List.of("HTTP/1.1 200 OK", "HTTP/1.1 101 UPGRADED", "HTTP/1.1 100 Continue",
                "HTTP/1.1 204 No Content", "HTTP/1.1 201 ", "HTTP/1.1 0200 OK", "HTTP/1.1 +200 OK", "HTTP/1.1 200",
                "HTTP/1.1 20x OK", "HTTP/1.1  200 OK", "HTTP/1.1 2000000000000 OK", "", "HTTP/1.0 500 Internal Error");
        for (String line : lines) {
            for (String header : HEADERS) {
                responseAgrees(line + "\r\n" + header + "\r\n\r\n");
                responseAgrees(line + "\r\n" + header + "\r\n" + header + "\r\n\r\n");
                responseAgrees(line + "\n\n");
            }
        }
    }

    /** The heads the docker CLI and the engine send on every request: read from the bytes, not as Strings. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "HEAD /_ping HTTP/1.1\\r\\nHost: api.moby.localhost\\r\\nUser-Agent: Docker-Client/28.0.1 (linux)\\r\\n | OTHER",
            "GET /v1.43/containers/json HTTP/1.1\\r\\nHost: docker\\r\\n                                           | OTHER",
            "POST /v1.43/containers/create?name=mcp HTTP/1.1\\r\\nContent-Length: 300\\r\\nContent-Type: application/json\\r\\n | CREATE",
            "POST /v1.43/containers/abc/attach?stdin=1&stream=1 HTTP/1.1\\r\\nConnection: Upgrade\\r\\nUpgrade: tcp\\r\\n | HIJACK",
            "POST /v1.43/exec/abc/start HTTP/1.1\\r\\nContent-Length: 2\\r\\nConnection: Upgrade\\r\\nUpgrade: tcp\\r\\n  | HIJACK",
            "POST /v1.43/containers/abc/wait?condition=next-exit HTTP/1.1\\r\\nHost: docker\\r\\n                    | OTHER"})
    void theCommonHeadsAreReadFromTheirBytes(String lines, Route route) {
        ByteBuf buf = bytes(lines.replace("\\r\\n", "\r\n") + "\r\n");
        HeadFacts facts = new HeadFacts();
        assertThat(facts.request(buf, 0, HttpHead.end(buf, 0))).isTrue();
        assertThat(facts.route()).isEqualTo(route);
        ByteBuf answer = bytes("HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 2\r\nDate: Fri, 04 Dec 2026 18:00:00 GMT\r\n\r\nOK");
        assertThat(facts.response(answer, 0, HttpHead.end(answer, 0))).isTrue();
        assertThat(facts.status()).isEqualTo(200);
        assertThat(facts.length()).isEqualTo(2);
    }

    private static void requestAgrees(String text) {
        ByteBuf buf = bytes(text);
        int end = HttpHead.end(buf, 0);
        if (end < 0) {
            return;
        }
        HeadFacts facts = new HeadFacts();
        if (!facts.request(buf, 0, end)) {
            return; // the String reading decides, as before
        }
        try {
            RequestHead head = RequestHead.parse(buf, 0, end);
            Framing framing = head.framing();
            assertThat(facts.chunked() ? Framing.CHUNKED : Framing.fixed(facts.length())).as(text).isEqualTo(framing);
            assertThat(facts.headRequest()).as(text).isEqualTo(head.isHead());
            if (facts.route() != null) {
                assertThat(facts.route()).as(text).isEqualTo(Route.of(head));
            }
        } catch (HttpHead.Malformed e) {
            fail("read from the bytes, but the String reading refuses it (" + e.getMessage() + "): " + text);
        }
    }

    private static void responseAgrees(String text) {
        ByteBuf buf = bytes(text);
        int end = HttpHead.end(buf, 0);
        HeadFacts facts = new HeadFacts();
        if (end < 0 || !facts.response(buf, 0, end)) {
            return;
        }
        try {
            StatusHead head = StatusHead.parse(buf, 0, end);
            assertThat(facts.status()).as(text).isEqualTo(head.status());
            Framing framing = facts.chunked() ? Framing.CHUNKED
                    : facts.untilClose() ? Framing.UNTIL_CLOSE : Framing.fixed(facts.length());
            assertThat(framing).as(text).isEqualTo(head.framing());
        } catch (HttpHead.Malformed e) {
            fail("read from the bytes, but the String reading refuses it (" + e.getMessage() + "): " + text);
        }
    }

    private static String pick(Random random, List<String> from) {
        return from.get(random.nextInt(from.size()));
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }
}
