package dev.tether.labeler;

/**
 * Where one object member, key through value, sits in the client's body: copied byte for byte, never re-encoded.
 *
 * @param rewritable a member kept as sent unless tether writes its field itself
 */
record Span(int start, int end, boolean rewritable) {

    Span(int start, int end) {
        this(start, end, false);
    }
}
