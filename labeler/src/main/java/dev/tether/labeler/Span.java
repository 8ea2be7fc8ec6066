package dev.tether.labeler;

/** Where one object member, key through value, sits in the client's body: copied byte for byte, never re-encoded. */
record Span(int start, int end) {}
