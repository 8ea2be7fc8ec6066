package dev.tether.proxy;

/** How an HTTP body is delimited, which tells the relay where the next message starts. */
sealed interface Framing {

    Framing NONE = new Fixed(0);
    Framing CHUNKED = new Chunked();
    Framing UNTIL_CLOSE = new UntilClose();

    static Framing fixed(long length) {
        return new Fixed(length);
    }

    record Fixed(long length) implements Framing {}

    record Chunked() implements Framing {}

    /** The body ends when the connection does: nothing after it is HTTP. */
    record UntilClose() implements Framing {}
}
