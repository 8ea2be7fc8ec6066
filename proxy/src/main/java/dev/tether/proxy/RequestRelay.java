package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client to engine. Forwards every byte as it came, reading just enough HTTP to know where each request ends,
 * which requests create containers and when the connection stops being HTTP. A create's body goes down the
 * pipeline to {@link CreateRewrite} instead of to the engine; the {@link Decision} it writes back comes through
 * here. Backpressure as in Netty's proxy example: the next read only after the last write went out.
 */
final class RequestRelay extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestRelay.class);
    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private enum State {
        HEAD,
        BODY,
        /** A create's body: it goes to {@link CreateRewrite}, which decides what the engine gets. */
        CREATE_BODY,
        /** A request that may hijack the connection was sent: hold further bytes until the engine answers it. */
        AWAIT_HIJACK,
        /** Hijacked: a plain byte pipe both ways. */
        RAW,
        DONE
    }

    private final Upstream upstream;
    private final Peers peers;
    private final Sessions sessions;
    private final ProxyEvents events;
    private final Consumer<Channel> onEngineConnection;
    private Exchange exchange;
    /** What the current request head says, read from its bytes; reused from head to head. */
    private final HeadFacts facts = new HeadFacts();
    private Channel engine;
    private Peer owner = Peer.UNKNOWN;
    private ByteBuf in = Unpooled.EMPTY_BUFFER;
    private State state = State.HEAD;
    private boolean firstRequest = true;
    private boolean clientEnded;
    private boolean mayHijack;
    /** Whether {@link HeadTimeout} was last told that a head has begun and not ended. */
    private boolean headPending;
    private Throwable upstreamFailure;
    private ChannelFuture lastWrite;
    private ChannelFutureListener readOn;
    /** The container a pending attach opens stdin to, and once hijacked, the session this connection carries. */
    private Optional<String> stdinAttach = Optional.empty();
    private Sessions.Session session;

    private long bodyRemaining;
    private ChunkedScanner chunks;

    RequestRelay(Upstream upstream, Peers peers, Sessions sessions, ProxyEvents events,
                 Consumer<Channel> onEngineConnection) {
        this.upstream = upstream;
        this.peers = peers;
        this.sessions = sessions;
        this.events = events;
        this.onEngineConnection = onEngineConnection;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        exchange = new Exchange(client);
        owner = peers.identify(client);
        events.connectionOpened();
        upstream.connect(client, new ResponseRelay(client, exchange, events)).addListener((ChannelFuture f) -> {
            if (f.isSuccess() && !client.isActive()) {
                // The client left while this connection was being made: channelInactive found no engine to close.
                f.channel().close();
                return;
            }
            if (f.isSuccess()) {
                engine = f.channel();
                exchange.engineConnected(engine);
                onEngineConnection.accept(engine);
            } else {
                log.warn("cannot reach the engine at {}: {}", upstream.endpoint().uri(), f.cause().toString());
                events.upstreamFailed();
                upstreamFailure = f.cause();
            }
            if (in.isReadable()) {
                process(ctx); // bytes that came before the engine connection was ready
            } else {
                ctx.read();
            }
        });
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf data = (ByteBuf) msg;
        if (state == State.DONE) {
            data.release();
            return;
        }
        if (engine == null && upstreamFailure == null) {
            // TLS hands over what it decrypts along with the handshake, unasked: held until the engine connection is up
            in = in.isReadable() ? Unpooled.wrappedBuffer(in, data) : release(in, data);
            return;
        }
        if (state == State.RAW && !in.isReadable()) {
            // The hot path of an attach or exec session: no parsing, no copy.
            engine.writeAndFlush(data).addListener(readOn(ctx));
            return;
        }
        in = in.isReadable() ? Unpooled.wrappedBuffer(in, data) : release(in, data);
        process(ctx);
    }

    private static ByteBuf release(ByteBuf old, ByteBuf replacement) {
        old.release();
        return replacement;
    }

    private void process(ChannelHandlerContext ctx) {
        lastWrite = null;
        try {
            loop:
            while (in.isReadable()) {
                switch (state) {
                    case HEAD -> {
                        if (!readHead(ctx)) {
                            break loop;
                        }
                    }
                    case BODY -> forwardBody();
                    case CREATE_BODY -> passCreateBody(ctx);
                    case RAW -> forward(in.readRetainedSlice(in.readableBytes()));
                    case AWAIT_HIJACK, DONE -> {
                        break loop;
                    }
                }
            }
        } catch (HttpHead.Malformed e) {
            boolean midRequest = state == State.BODY;
            fail(LocalResponse.badRequest(e.getMessage()));
            if (midRequest && engine != null) {
                // The engine already has part of this request and would wait for the rest: end it, and the
                // client gets tether's answer once the engine connection is gone.
                engine.close();
            }
        }
        compact();
        tellHeadTimeout(ctx);
        if (lastWrite != null && engine != null) {
            engine.flush();
        }
        if (state == State.DONE || state == State.AWAIT_HIJACK) {
            return; // nothing more to read, or the engine's answer resumes us
        }
        if (clientEnded && !in.isReadable()) {
            endClientInput();
        } else if (endedMidHead()) {
            exchange.close();
        } else if (lastWrite == null) {
            readMore(ctx);
        } else {
            lastWrite.addListener(readOn(ctx));
        }
    }

    /** @return false if more bytes are needed */
    private boolean readHead(ChannelHandlerContext ctx) throws HttpHead.Malformed {
        if (firstRequest && startsLikeHttp2()) {
            if (in.readableBytes() < HTTP2_PREFACE.length) {
                return false;
            }
            // Relaying HTTP/2 raw would let creates past the labeler: clients fall back to HTTP/1.1.
            log.debug("closing a connection that speaks HTTP/2 prior knowledge");
            state = State.DONE;
            exchange.close();
            return false;
        }
        int start = in.readerIndex();
        int end = HttpHead.end(in, start);
        if (end < 0 ? in.readableBytes() > HttpHead.MAX_BYTES : end - start > HttpHead.MAX_BYTES) {
            fail(LocalResponse.headersTooLarge("the request head is over 1 MiB, the engine's limit"));
            return false;
        }
        if (end < 0) {
            return false;
        }
        firstRequest = false;
        // The head's bytes answer the common case; only an unusual head, a create or a hijack is read as Strings.
        RequestHead head = null;
        if (!facts.request(in, start, end)) {
            head = RequestHead.parse(in, start, end);
            facts.framing(head.framing(), head.isHead());
        }
        if (upstreamFailure != null) {
            LocalResponse answer = LocalResponse.badGateway(upstreamFailure instanceof Upstream.TlsFailed tls
                    ? tls.getMessage()
                    : "cannot reach the Docker engine at " + upstream.endpoint().uri() + " (" + describe(upstreamFailure)
                            + "); start dockerd, or point tether at it with --upstream");
            fail(facts.headRequest() ? answer.toHead() : answer);
            return false;
        }
        Route route = facts.route();
        if (route == null) {
            head = head != null ? head : RequestHead.parse(in, start, end);
            route = Route.of(head);
        }
        if (route != Route.OTHER && head == null) {
            head = RequestHead.parse(in, start, end);
        }
        events.requestSeen(route);
        startBody(facts.chunked(), facts.length());
        if (route == Route.CREATE) {
            state = State.CREATE_BODY;
            ctx.fireChannelRead(new CreateRewrite.Begin(in.readRetainedSlice(end - start), head, owner,
                    !exchange.awaitsAnswers()));
            if (bodyComplete()) {
                endCreate(ctx); // a create without a body: the engine will say what it misses
            }
            return true;
        }
        mayHijack = route == Route.HIJACK;
        stdinAttach = mayHijack ? Route.stdinAttach(head) : Optional.empty();
        exchange.expect(Expectation.of(facts.headRequest(), route));
        forward(in.readRetainedSlice(end - start));
        state = State.BODY;
        if (bodyComplete()) {
            requestEnded();
        }
        return true;
    }

    /** {@link HeadTimeout} times a head that has begun and not ended; an idle connection between requests is not. */
    private void tellHeadTimeout(ChannelHandlerContext ctx) {
        boolean pending = state == State.HEAD && in.isReadable();
        if (pending != headPending) {
            headPending = pending;
            ctx.fireUserEventTriggered(pending ? HeadTimeout.Head.BEGUN : HeadTimeout.Head.ENDED);
        }
    }

    private boolean startsLikeHttp2() {
        int n = Math.min(in.readableBytes(), HTTP2_PREFACE.length);
        return n > 0 && ByteBufUtil.equals(in, in.readerIndex(), Unpooled.wrappedBuffer(HTTP2_PREFACE), 0, n);
    }

    /** A request's body: chunked, or {@code length} bytes (requests are never framed by close). */
    private void startBody(boolean chunked, long length) {
        chunks = chunked ? new ChunkedScanner() : null;
        bodyRemaining = chunked ? 0 : length;
    }

    private boolean bodyComplete() {
        return chunks == null ? bodyRemaining == 0 : chunks.isDone();
    }

    private void forwardBody() throws HttpHead.Malformed {
        int n = chunks == null ? (int) Math.min(bodyRemaining, in.readableBytes()) : chunks.scan(in, null);
        if (chunks == null) {
            bodyRemaining -= n;
        }
        forward(in.readRetainedSlice(n));
        if (bodyComplete()) {
            requestEnded();
        }
    }

    private void requestEnded() {
        state = mayHijack ? State.AWAIT_HIJACK : State.HEAD;
    }

    /** Hands a create's body on as it comes: decoded, when it is chunked. */
    private void passCreateBody(ChannelHandlerContext ctx) throws HttpHead.Malformed {
        if (chunks == null) {
            int n = (int) Math.min(bodyRemaining, in.readableBytes());
            bodyRemaining -= n;
            ctx.fireChannelRead(in.readRetainedSlice(n));
        } else {
            in.skipBytes(chunks.scan(in, data -> ctx.fireChannelRead(data.retain())));
        }
        if (state == State.CREATE_BODY && bodyComplete()) {
            endCreate(ctx);
        }
    }

    /** The create's body has ended: what follows is the next request, once {@link CreateRewrite} has decided. */
    private void endCreate(ChannelHandlerContext ctx) {
        state = State.HEAD;
        ctx.fireChannelRead(CreateRewrite.END);
    }

    /** What a handler behind this one decided for a request it held back; anything else is for the client. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Decision decision)) {
            ctx.write(msg, promise);
            return;
        }
        switch (decision) {
            case Decision.Send send -> {
                if (state == State.DONE) {
                    send.request().release();
                } else {
                    exchange.expect(send.expectation());
                    forward(send.request());
                }
            }
            case Decision.Refuse refuse -> fail(refuse.answer());
        }
        promise.trySuccess();
    }

    /** Called through the client's pipeline once the engine has answered a request that could hijack the connection. */
    private void engineDecided(ChannelHandlerContext ctx, boolean hijacked) {
        if (state == State.DONE) {
            return;
        }
        if (state != State.AWAIT_HIJACK) {
            // Answered before the request's body ended: a 101 makes the rest of it stream bytes; any other
            // answer means the request ends as plain HTTP.
            if (hijacked) {
                state = State.RAW;
                openSession();
            } else {
                mayHijack = false;
            }
            return;
        }
        state = hijacked ? State.RAW : State.HEAD;
        if (hijacked) {
            openSession();
        }
        process(ctx);
    }

    private void openSession() {
        stdinAttach.ifPresent(container -> session = sessions.opened(container, owner));
    }

    private void forward(ByteBuf data) {
        lastWrite = engine.write(data);
    }

    /** The listener that reads on once a write went out; one per connection ({@link Exchange#readingOn}). */
    private ChannelFutureListener readOn(ChannelHandlerContext ctx) {
        if (readOn == null) {
            readOn = exchange.readingOn(() -> readMore(ctx));
        }
        return readOn;
    }

    /**
     * The client ended its side with a head begun that can now never end. The engine, Go's server, closes such a
     * connection without an answer; so does tether, at once rather than after the head timeout, unless it still
     * owes answers to earlier requests (then the head timeout ends it after them).
     */
    private boolean endedMidHead() {
        return clientEnded && state == State.HEAD && in.isReadable() && !exchange.awaitsAnswers();
    }

    /** Reads on, unless the client has said all it will (epoll refuses a read after EOF) or we hold its bytes. */
    private void readMore(ChannelHandlerContext ctx) {
        if (!clientEnded && state != State.AWAIT_HIJACK && state != State.DONE) {
            ctx.read();
        }
    }

    /** What went wrong in a connect, in words: some exceptions carry no message of their own. */
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : failure.getMessage();
        return message != null ? message : root.getClass().getSimpleName();
    }

    private void fail(LocalResponse answer) {
        log.debug("answering {} to a client: {}", answer.status(), answer.message());
        state = State.DONE;
        exchange.answerLastAndClose(answer);
    }

    private void compact() {
        if (!in.isReadable()) {
            in.release();
            in = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Exchange.Hijack hijack) {
            engineDecided(ctx, hijack == Exchange.Hijack.TAKEN);
            return;
        }
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            clientEnded = true;
            if (state != State.AWAIT_HIJACK && !in.isReadable()) {
                endClientInput();
            } else if ((engine != null || upstreamFailure != null) && endedMidHead()) {
                exchange.close(); // bytes held for an engine connection still to come are not read yet
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The client will send no more: the engine reads EOF too (the CLI's CloseWrite when stdin ends). */
    private void endClientInput() {
        if (state == State.CREATE_BODY || state == State.DONE || !exchange.engineReady()) {
            exchange.close();
            return;
        }
        if (session != null) {
            sessions.stdinClosed(session);
        }
        Link.shutdownOutputAfterFlush(engine);
        exchange.closeIfBothEnded();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        in.release();
        in = Unpooled.EMPTY_BUFFER;
        state = State.DONE;
        // The client went away while the engine still streamed: its session ended (an exiting container closes
        // the engine side first, and that is no session's end).
        if (session != null) {
            sessions.closed(session, exchange.engineReady() && !((DuplexChannel) engine).isInputShutdown());
        }
        Link.closeAfterFlush(engine);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection failed: {}", cause.toString());
        exchange.close();
    }

    /** While tether drains: a connection between requests, waiting for no answer, is closed. */
    void closeIfIdle() {
        if (state == State.HEAD && !in.isReadable() && exchange != null && !exchange.awaitsAnswers()) {
            exchange.close();
        }
    }
}
