package dev.tether.proxy;

import io.netty.buffer.ByteBuf;

/**
 * What becomes of a request that a handler behind the request relay held back. The handler writes it into the
 * client's pipeline, where the relay takes it up: so the handler needs no reference to the relay, only its place
 * behind it.
 */
sealed interface Decision {

    /** {@code request} goes to the engine in place of the bytes the client sent; its answer is read as expected. */
    record Send(ByteBuf request, Expectation expectation) implements Decision {}

    /** tether answers the client itself, after the engine's answers to earlier requests, and ends the connection. */
    record Refuse(LocalResponse answer) implements Decision {}
}
