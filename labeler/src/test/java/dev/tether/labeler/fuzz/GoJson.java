package dev.tether.labeler.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A JSON reader written from Go's encoding/json (Decoder.Decode), for the test's reference decoder and nothing else:
 * it shares no code with tether. It reads the first value and ignores what follows, as Decode does; strings decode
 * invalid UTF-8 and unpaired surrogate escapes to U+FFFD; nesting deeper than 10000 is an error.
 */
public final class GoJson {

    /** A value as Go's syntax scanner sees it; {@code start}/{@code end} delimit its bytes in the source. */
    public sealed interface Value {
        int start();

        int end();
    }

    public record Member(String key, Value value) {}

    public record Obj(List<Member> members, int start, int end) implements Value {}

    public record Arr(List<Value> items, int start, int end) implements Value {}

    public record Str(String text, int start, int end) implements Value {}

    public record Num(int start, int end) implements Value {}

    public record Bool(boolean value, int start, int end) implements Value {}

    public record Null(int start, int end) implements Value {}

    /** Go's SyntaxError: the engine answers 400 before decoding anything. */
    public static final class SyntaxError extends Exception {
        SyntaxError(String message, int at) {
            super(message + " at offset " + at, null, false, false);
        }
    }

    private static final int MAX_DEPTH = 10_000;

    private final byte[] in;
    private int pos;

    private GoJson(byte[] in) {
        this.in = in;
    }

    public static Value parse(byte[] body) throws SyntaxError {
        GoJson reader = new GoJson(body);
        reader.skipSpace();
        if (reader.pos >= body.length) {
            throw new SyntaxError("unexpected end of JSON input", reader.pos);
        }
        return reader.value(0);
    }

    /** The bytes of {@code value} in {@code body}. */
    public static byte[] bytes(byte[] body, Value value) {
        return Arrays.copyOfRange(body, value.start(), value.end());
    }

    private Value value(int depth) throws SyntaxError {
        if (depth > MAX_DEPTH) {
            throw new SyntaxError("exceeded max depth", pos);
        }
        int start = pos;
        byte c = peek();
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> new Str(string(), start, pos);
            case 't' -> literal("true", new Bool(true, start, start + 4));
            case 'f' -> literal("false", new Bool(false, start, start + 5));
            case 'n' -> literal("null", new Null(start, start + 4));
            default -> number();
        };
    }

    private Value object(int depth) throws SyntaxError {
        int start = pos++;
        List<Member> members = new ArrayList<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return new Obj(members, start, pos);
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw new SyntaxError("looking for beginning of object key string", pos);
            }
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            members.add(new Member(key, value(depth)));
            skipSpace();
            if (peek() == '}') {
                pos++;
                return new Obj(members, start, pos);
            }
            expect(',');
        }
    }

    private Value array(int depth) throws SyntaxError {
        int start = pos++;
        List<Value> items = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return new Arr(items, start, pos);
        }
        while (true) {
            skipSpace();
            items.add(value(depth));
            skipSpace();
            if (peek() == ']') {
                pos++;
                return new Arr(items, start, pos);
            }
            expect(',');
        }
    }

    private Value literal(String word, Value value) throws SyntaxError {
        for (int i = 0; i < word.length(); i++) {
            if (pos >= in.length || in[pos] != word.charAt(i)) {
                throw new SyntaxError("invalid literal", pos);
            }
            pos++;
        }
        return value;
    }

    /** JSON's number grammar, which Go's scanner enforces exactly. */
    private Value number() throws SyntaxError {
        int start = pos;
        if (at('-')) {
            pos++;
        }
        if (at('0')) {
            pos++;
        } else if (digit()) {
            while (digit()) {
                pos++;
            }
        } else {
            throw new SyntaxError("invalid character looking for beginning of value", pos);
        }
        if (at('.')) {
            pos++;
            requireDigits();
        }
        if (at('e') || at('E')) {
            pos++;
            if (at('+') || at('-')) {
                pos++;
            }
            requireDigits();
        }
        return new Num(start, pos);
    }

    private void requireDigits() throws SyntaxError {
        if (!digit()) {
            throw new SyntaxError("invalid character in numeric literal", pos);
        }
        while (digit()) {
            pos++;
        }
    }

    private String string() throws SyntaxError {
        pos++; // the opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= in.length) {
                throw new SyntaxError("unexpected end of JSON input", pos);
            }
            int b = in[pos] & 0xff;
            if (b == '"') {
                pos++;
                return out.toString();
            }
            if (b < 0x20) {
                throw new SyntaxError("invalid character in string literal", pos);
            }
            if (b == '\\') {
                escape(out);
            } else if (b < 0x80) {
                out.append((char) b);
                pos++;
            } else {
                rune(out);
            }
        }
    }

    private void escape(StringBuilder out) throws SyntaxError {
        pos++;
        byte e = peek();
        pos++;
        switch (e) {
            case '"', '\\', '/' -> out.append((char) e);
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'u' -> {
                int first = hex4();
                if (Character.isHighSurrogate((char) first) && pos + 1 < in.length && in[pos] == '\\'
                        && in[pos + 1] == 'u') {
                    int save = pos;
                    pos += 2;
                    int second = hex4();
                    if (Character.isLowSurrogate((char) second)) {
                        out.append((char) first).append((char) second);
                        return;
                    }
                    pos = save; // Go then reads the second escape on its own
                }
                out.append(Character.isSurrogate((char) first) ? '\uFFFD' : (char) first);
            }
            default -> throw new SyntaxError("invalid character in string escape code", pos - 1);
        }
    }

    private int hex4() throws SyntaxError {
        if (pos + 4 > in.length) {
            throw new SyntaxError("unexpected end of JSON input", pos);
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(in[pos++], 16);
            if (d < 0) {
                throw new SyntaxError("invalid character in \\u hexadecimal character escape", pos - 1);
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** Go's utf8.DecodeRune: the shortest form of a scalar value, else U+FFFD for one byte. */
    private void rune(StringBuilder out) {
        int b0 = in[pos] & 0xff;
        int width = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 ? 2 : 0;
        int cp = width == 4 ? b0 & 0x07 : width == 3 ? b0 & 0x0F : b0 & 0x1F;
        boolean valid = width > 0 && b0 <= 0xF4 && pos + width <= in.length;
        for (int i = 1; valid && i < width; i++) {
            int b = in[pos + i] & 0xff;
            valid = (b & 0xC0) == 0x80;
            cp = (cp << 6) | (b & 0x3F);
        }
        valid = valid && (width != 3 || (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)))
                && (width != 4 || (cp >= 0x10000 && cp <= 0x10FFFF));
        if (valid) {
            out.appendCodePoint(cp);
            pos += width;
        } else {
            out.append('\uFFFD');
            pos++;
        }
    }

    private void skipSpace() {
        while (pos < in.length && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
            pos++;
        }
    }

    private void expect(char c) throws SyntaxError {
        if (peek() != c) {
            throw new SyntaxError("expected '" + c + "'", pos);
        }
        pos++;
    }

    private byte peek() throws SyntaxError {
        if (pos >= in.length) {
            throw new SyntaxError("unexpected end of JSON input", pos);
        }
        return in[pos];
    }

    private boolean at(char c) {
        return pos < in.length && in[pos] == c;
    }

    private boolean digit() {
        return pos < in.length && in[pos] >= '0' && in[pos] <= '9';
    }
}
