package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.process.Libc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Asks a running tether over its control socket, and tells a tether that is not there from one that refuses. */
final class ControlClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ControlClient() {}

    /** What asking gave. */
    sealed interface Answer {}

    /** The tether answered 200 with this JSON. */
    record Answered(JsonNode body) implements Answer {}

    /** No tether listens there: no control socket, or one left behind that nothing listens on. */
    record Absent(Path control) implements Answer {
        String why() {
            return "nothing answers on " + control;
        }
    }

    /**
     * The user may not ask: the tether answered 403 (not in its --allow-uid), or the socket's permissions keep this
     * user out (not in its --socket-group). {@code why} names the uid and how to get access.
     */
    record Refused(int uid, String why) implements Answer {}

    /** Something else: another status, an answer that is not HTTP, a read that failed. {@code why} says which. */
    record Failed(String why) implements Answer {}

    static Answer get(Path control, String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(control))) {
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: tether\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
            Channels.newInputStream(ch).transferTo(out);
        } catch (ConnectException e) {
            return new Absent(control); // a socket file nothing listens on: its tether stopped
        } catch (IOException e) {
            if (Files.notExists(control, LinkOption.NOFOLLOW_LINKS)) {
                return new Absent(control);
            }
            if (!Files.isWritable(control)) { // connecting needs write permission, and search on every folder
                int uid = Libc.effectiveUid();
                return new Refused(uid, "uid " + uid + " may not connect to " + control + " (" + e.getMessage()
                        + "); ask its owner to let you in: tether up --socket-group GROUP, a group you are in"
                        + " (and --allow-uid " + uid + " if it names users)");
            }
            return new Failed("cannot ask " + control + ": " + e.getMessage());
        }
        return answer(control, path, out.toString(StandardCharsets.UTF_8));
    }

    private static Answer answer(Path control, String path, String response) {
        int bodyAt = response.indexOf("\r\n\r\n");
        String[] statusLine = response.lines().findFirst().orElse("").split(" ", 3);
        if (bodyAt < 0 || statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            return new Failed(control + " gave no HTTP answer to GET " + path + " (is it tether's control socket?)");
        }
        String body = response.substring(bodyAt + 4);
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            json = null;
        }
        String message = json == null ? "" : json.path("message").asText("").replaceFirst("^tether: ", "");
        switch (statusLine[1]) {
            case "200" -> {
                return json != null ? new Answered(json)
                        : new Failed(control + " answered GET " + path + " with something not JSON");
            }
            case "403" -> {
                int uid = Libc.effectiveUid();
                return new Refused(uid, !message.isEmpty() ? message
                        : "uid " + uid + " may not use this socket; ask its owner to add --allow-uid " + uid);
            }
            default -> {
                return new Failed(control + " answered GET " + path + " with " + String.join(" ", statusLine).substring(
                        statusLine[0].length() + 1) + (message.isEmpty() ? "" : ": " + message));
            }
        }
    }
}
