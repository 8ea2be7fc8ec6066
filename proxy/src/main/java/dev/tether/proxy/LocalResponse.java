package dev.tether.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/** An answer tether gives itself, shaped like the engine's own errors so every client shows the message. */
record LocalResponse(int status, String reason, String message, boolean headRequest) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static LocalResponse badRequest(String message) {
        return new LocalResponse(400, "Bad Request", message, false);
    }

    static LocalResponse forbidden(String message) {
        return new LocalResponse(403, "Forbidden", message, false);
    }

    static LocalResponse tooLarge(String message) {
        return new LocalResponse(413, "Request Entity Too Large", message, false);
    }

    static LocalResponse requestTimeout(String message) {
        return new LocalResponse(408, "Request Timeout", message, false);
    }

    static LocalResponse headersTooLarge(String message) {
        return new LocalResponse(431, "Request Header Fields Too Large", message, false);
    }

    static LocalResponse badGateway(String message) {
        return new LocalResponse(502, "Bad Gateway", message, false);
    }

    /** The same answer to a HEAD request, which carries the length of the body it must not have. */
    LocalResponse toHead() {
        return new LocalResponse(status, reason, message, true);
    }

    ByteBuf encode() {
        byte[] body = (JSON.createObjectNode().put("message", "tether: " + message) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        return headRequest ? Unpooled.wrappedBuffer(headBytes) : Unpooled.wrappedBuffer(headBytes, body);
    }
}
