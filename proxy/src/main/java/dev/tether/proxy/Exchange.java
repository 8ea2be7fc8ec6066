package dev.tether.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What the two halves of a relay share: the requests the engine has yet to answer, in the order they were sent, and
 * the last word tether may owe the client after them. The request side says what it expects, the response side says
 * how each request was answered; otherwise each side knows only the other's channel. Both run on one event loop, so
 * this needs no locks.
 */
final class Exchange {

    /**
     * The engine's answer to a request that could hijack the connection, told to the request side as an event in the
     * client's pipeline: until then it holds the client's further bytes, which are either HTTP or a raw stream.
     */
    enum Hijack { TAKEN, DECLINED }

    private final Channel client;
    private Channel engine;
    private final Deque<Expectation> unanswered = new ArrayDeque<>();
    private LocalResponse lastWord;
    private boolean lastWordSaid;

    Exchange(Channel client) {
        this.client = client;
    }

    void engineConnected(Channel engine) {
        this.engine = engine;
        engine.closeFuture().addListener(f -> engineClosed());
    }

    boolean engineReady() {
        return engine != null && engine.isActive();
    }

    /** The request side sent a request: its answer is read as {@code expectation} says. */
    void expect(Expectation expectation) {
        unanswered.add(expectation);
    }

    boolean awaitsAnswers() {
        return !unanswered.isEmpty();
    }

    /** What the answer the engine sends now belongs to; null for an answer to no request. */
    Expectation answering() {
        return unanswered.peek();
    }

    /** The engine's answer to the oldest request has ended. */
    void answered() {
        Expectation done = unanswered.poll();
        if (done != null && done.mayHijack()) {
            client.pipeline().fireUserEventTriggered(Hijack.DECLINED);
        }
        if (lastWord != null && unanswered.isEmpty()) {
            sayLastWord();
        }
    }

    /** The engine took the connection over: from here on both directions are a plain byte pipe. */
    void hijacked() {
        unanswered.poll();
        client.pipeline().fireUserEventTriggered(Hijack.TAKEN);
    }

    /**
     * Answers the client from tether itself and ends the connection; waits for the engine's answers to earlier
     * requests first, so responses never interleave.
     */
    void answerLastAndClose(LocalResponse answer) {
        if (lastWord != null) {
            return;
        }
        lastWord = answer;
        if (unanswered.isEmpty() || !engineReady()) {
            sayLastWord();
        }
    }

    /** Whether tether has taken the last word: nothing the client sends from here on is read as a request. */
    boolean closing() {
        return lastWord != null;
    }

    /** The engine connection is gone: whatever tether still owes the client is said now. */
    private void engineClosed() {
        if (lastWord != null) {
            sayLastWord();
        } else {
            Link.closeAfterFlush(client);
        }
    }

    private void sayLastWord() {
        if (lastWordSaid) {
            return;
        }
        lastWordSaid = true;
        if (client.isActive()) {
            client.writeAndFlush(lastWord.encode()).addListener(f -> Link.lingerThenClose(client));
        }
        Link.closeAfterFlush(engine);
    }

    /**
     * Backpressure as in Netty's proxy example: the side that wrote reads its next bytes only once its write has gone
     * out. This listener, added to each write, does that; a write that failed ends both connections. A relay half
     * makes it once and adds it to every write, so a write allocates no listener.
     */
    ChannelFutureListener readingOn(Runnable read) {
        return f -> {
            if (f.isSuccess()) {
                read.run();
            } else {
                close();
            }
        };
    }

    /** Once both directions have ended, nothing more can cross: close both. */
    void closeIfBothEnded() {
        if (Link.isInputShutdown(client) && Link.isInputShutdown(engine)) {
            close();
        }
    }

    void close() {
        Link.closeAfterFlush(client);
        Link.closeAfterFlush(engine);
    }
}
