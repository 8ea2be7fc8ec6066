package dev.tether.labeler;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the body the engine gets: the client's members byte for byte in their order, then one canonical member
 * for each field tether rewrote. Go ignores the order of distinct fields, so moving those to the end is harmless.
 */
final class CreateBodyWriter {

    private final byte[] source;
    private final ByteArrayOutputStream out;
    private boolean firstMember;

    private CreateBodyWriter(byte[] source) {
        this.source = source;
        this.out = new ByteArrayOutputStream(source.length + 512);
    }

    static byte[] write(CreateBody body, Map<String, String> labels, Optional<CreateBody.HostConfig> hostConfig) {
        CreateBodyWriter writer = new CreateBodyWriter(body.source());
        writer.startObject();
        writer.spans(body.members());
        writer.key("Labels");
        writer.startObject();
        labels.forEach((key, value) -> {
            writer.key(key);
            writer.string(value);
        });
        writer.endObject();
        hostConfig.ifPresent(config -> {
            writer.key("HostConfig");
            writer.startObject();
            CreateBody.Confinement confinement = config.confinement();
            writer.spans(config.members().stream().filter(span -> !(span.rewritable() && confinement.changed())).toList());
            config.autoRemove().ifPresent(autoRemove -> {
                writer.key("AutoRemove");
                writer.ascii(autoRemove.toString());
            });
            if (confinement.changed()) {
                writer.confinement(confinement);
            }
            writer.endObject();
        });
        writer.endObject();
        return writer.out.toByteArray();
    }

    /** The four fields --mcp-defaults sets, once each, with the values the engine is to read. */
    private void confinement(CreateBody.Confinement confinement) {
        confinement.init().ifPresent(init -> {
            key("Init");
            ascii(init.toString());
        });
        confinement.securityOpt().ifPresent(options -> {
            key("SecurityOpt");
            out.write('[');
            for (int i = 0; i < options.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                string(options.get(i));
            }
            out.write(']');
        });
        confinement.memory().ifPresent(memory -> {
            key("Memory");
            ascii(Long.toString(memory));
        });
        confinement.nanoCpus().ifPresent(nanoCpus -> {
            key("NanoCpus");
            ascii(Long.toString(nanoCpus));
        });
    }

    private void startObject() {
        out.write('{');
        firstMember = true;
    }

    private void endObject() {
        out.write('}');
        firstMember = false;
    }

    private void spans(List<Span> spans) {
        for (Span span : spans) {
            separate();
            out.write(source, span.start(), span.end() - span.start());
        }
    }

    private void key(String key) {
        separate();
        string(key);
        out.write(':');
    }

    private void separate() {
        if (!firstMember) {
            out.write(',');
        }
        firstMember = false;
    }

    private void ascii(String text) {
        out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    private void string(String value) {
        StringBuilder json = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append("\\u%04x".formatted((int) c));
            } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                json.append(c).append(value.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                // An unpaired surrogate can only come from a \\u escape, which Go decodes as U+FFFD.
                json.append('\uFFFD');
            } else {
                json.append(c);
            }
        }
        out.writeBytes(json.append('"').toString().getBytes(StandardCharsets.UTF_8));
    }
}
