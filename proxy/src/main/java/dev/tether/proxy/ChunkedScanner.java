package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import java.util.function.Consumer;

/**
 * Walks a chunked body to find where it ends, without changing a byte. Optionally hands the decoded chunk
 * data to a sink (the create body, which tether rewrites).
 */
final class ChunkedScanner {

    private static final int MAX_LINE = 4096;

    private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

    private State state = State.SIZE;
    private long remaining;
    private final StringBuilder line = new StringBuilder();

    boolean isDone() {
        return state == State.DONE;
    }

    /**
     * Consumes bytes of {@code buf} from its reader index until the body ends or the bytes run out.
     *
     * @return how many bytes belong to the body
     */
    int scan(ByteBuf buf, Consumer<ByteBuf> data) throws HttpHead.Malformed {
        int start = buf.readerIndex();
        int i = start;
        int end = buf.writerIndex();
        while (i < end && state != State.DONE) {
            switch (state) {
                case DATA -> {
                    int n = (int) Math.min(remaining, end - i);
                    if (data != null) {
                        data.accept(buf.slice(i, n));
                    }
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.DATA_END;
                    }
                }
                case SIZE, DATA_END, TRAILER -> {
                    byte b = buf.getByte(i++);
                    if (b != '\n') {
                        if (line.length() >= MAX_LINE) {
                            throw new HttpHead.Malformed("chunk line longer than " + MAX_LINE + " bytes");
                        }
                        line.append((char) (b & 0xff));
                        continue;
                    }
                    String text = line.toString();
                    line.setLength(0);
                    if (text.endsWith("\r")) {
                        text = text.substring(0, text.length() - 1);
                    }
                    lineEnded(text);
                }
                case DONE -> throw new IllegalStateException();
            }
        }
        return i - start;
    }

    private void lineEnded(String text) throws HttpHead.Malformed {
        switch (state) {
            case SIZE -> {
                int semicolon = text.indexOf(';');
                String hex = (semicolon >= 0 ? text.substring(0, semicolon) : text).strip();
                if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    throw new HttpHead.Malformed("invalid chunk size '" + HttpHead.abbreviate(text) + "'");
                }
                remaining = Long.parseLong(hex, 16);
                state = remaining == 0 ? State.TRAILER : State.DATA;
            }
            case DATA_END -> {
                if (!text.isEmpty()) {
                    throw new HttpHead.Malformed("chunk data longer than its size");
                }
                state = State.SIZE;
            }
            case TRAILER -> {
                if (text.isEmpty()) {
                    state = State.DONE;
                }
            }
            default -> throw new IllegalStateException();
        }
    }
}
