package dev.tether.labeler;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks the members of the JSON object a parser has just entered, in order and duplicates included. Each value goes
 * to a reader that decides whether the member stays as the client sent it; those that stay come back as spans.
 */
final class ObjectMembers {

    /** KEEP_UNLESS_REWRITTEN members come back as rewritable spans: the writer drops them if it writes the field. */
    enum Disposition { KEEP_AS_SENT, KEEP_UNLESS_REWRITTEN, REWRITE }

    @FunctionalInterface
    interface MemberReader {
        /** Reads the value the parser is on, leaving the parser on the value's last token. */
        Disposition read(String key) throws IOException;
    }

    private ObjectMembers() {}

    static List<Span> walk(JsonParser parser, byte[] body, MemberReader reader) throws IOException {
        List<Span> kept = new ArrayList<>();
        int keptStart = -1;
        boolean rewritable = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            int keyStart = tokenStart(parser, body, '"');
            if (keptStart >= 0) {
                kept.add(new Span(keptStart, valueEnd(body, keyStart), rewritable));
            }
            String key = parser.currentName();
            parser.nextToken();
            Disposition disposition = reader.read(key);
            keptStart = disposition == Disposition.REWRITE ? -1 : keyStart;
            rewritable = disposition == Disposition.KEEP_UNLESS_REWRITTEN;
        }
        if (keptStart >= 0) {
            kept.add(new Span(keptStart, valueEnd(body, tokenStart(parser, body, '}')), rewritable));
        }
        return kept;
    }

    /**
     * Where the token the parser is on starts; token starts are exact, a parser's read position is not. They are
     * exact only in some configurations (not with CANONICALIZE_FIELD_NAMES disabled), and every copied byte rests on
     * them: a wrong one must fail loudly, not mangle a body.
     */
    static int tokenStart(JsonParser parser, byte[] body, char firstByte) {
        long start = parser.currentTokenLocation().getByteOffset();
        if (start < 0 || start >= body.length || body[(int) start] != firstByte) {
            throw new IllegalStateException("Jackson placed " + parser.currentToken() + " at offset " + start
                    + ", where the body has no '" + firstByte + "'");
        }
        return (int) start;
    }

    /**
     * The end of the value before {@code next} (the following key or the closing brace): only whitespace and one
     * comma can separate them, and a value never ends in either.
     */
    private static int valueEnd(byte[] body, int next) {
        int end = skipWhitespaceBack(body, next);
        if (body[end - 1] == ',') {
            end = skipWhitespaceBack(body, end - 1);
        }
        return end;
    }

    private static int skipWhitespaceBack(byte[] body, int end) {
        while (isJsonWhitespace(body[end - 1])) {
            end--;
        }
        return end;
    }

    static boolean isJsonWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }
}
