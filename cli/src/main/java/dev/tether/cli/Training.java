package dev.tether.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The requests of {@code tether up --training-run}, which the launcher records into an AOT cache (JEP 483/515) after
 * each build: the classes and profiles of a relayed request, a refused create and a control query are then ready at
 * the next start. Nothing here reaches the engine in a way that changes it: the create is one tether refuses itself.
 */
final class Training {

    private Training() {}

    static void exercise(Path socket, Path control) {
        for (int round = 0; round < 20; round++) {
            ask(socket, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
            ask(socket, "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\n\r\n");
            ask(socket, "POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 13\r\n\r\n{\"Labels\":[]}");
            ask(control, "GET /status HTTP/1.1\r\nHost: tether\r\n\r\n");
            ask(control, "GET /metrics HTTP/1.1\r\nHost: tether\r\n\r\n");
        }
    }

    /** One request on its own connection, read to the end; a failed request only trains less. */
    private static void ask(Path socket, String request) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap(request.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
            Channels.newInputStream(ch).transferTo(new ByteArrayOutputStream());
        } catch (IOException e) {
            // no engine, or tether shutting down: the classes seen so far are still recorded
        }
    }
}
