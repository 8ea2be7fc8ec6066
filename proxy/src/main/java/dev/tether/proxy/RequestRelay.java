package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client to engine. Forwards every byte as it came, reading just enough HTTP to know where each request ends,
 * which requests create containers (those are rewritten) and when the connection stops being HTTP.
 * Backpressure as in Netty's proxy example: the next read only after the last write went out.
 */
final class RequestRelay extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RequestRelay.class);
    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private enum State {
        HEAD,
        BODY,
        CREATE_BODY,
        /** A request that may hijack the connection was sent: hold further bytes until the engine answers it. */
        AWAIT_HIJACK,
        /** Hijacked: a plain byte pipe both ways. */
        RAW,
        DONE
    }

    private final Upstream upstream;
    private final Peers peers;
    private final CreateInterceptor creates;
    private final Sessions sessions;
    private final ProxyEvents events;
    private final Consumer<Channel> onUpstream;
    private final Duration headTimeout;
    /** Set while a request head has begun but not ended. */
    private ScheduledFuture<?> headTimer;
    private Link link;
    private Peer owner = Peer.UNKNOWN;
    private ByteBuf in = Unpooled.EMPTY_BUFFER;
    private State state = State.HEAD;
    private boolean firstRequest = true;
    private boolean clientEnded;
    private boolean mayHijack;
    private Throwable upstreamFailure;
    private ChannelFuture lastWrite;
    /** The container a pending attach opens stdin to, and once hijacked, the session this connection carries. */
    private Optional<String> stdinAttach = Optional.empty();
    private Object session;

    private long bodyRemaining;
    private ChunkedScanner chunks;
    private ByteBuf createHead;
    private String createTarget;
    private ByteArrayOutputStream createBody;
    private boolean createTooLarge;

    RequestRelay(Upstream upstream, Peers peers, CreateInterceptor creates, Sessions sessions, ProxyEvents events,
                 Duration headTimeout, Consumer<Channel> onUpstream) {
        this.headTimeout = headTimeout;
        this.events = events;
        this.upstream = upstream;
        this.peers = peers;
        this.creates = creates;
        this.sessions = sessions;
        this.onUpstream = onUpstream;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        link = new Link(client);
        owner = peers.identify(client);
        events.connectionOpened();
        upstream.connect(client, new ResponseRelay(link, this, events)).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                link.upstream = f.channel();
                onUpstream.accept(f.channel());
                f.channel().closeFuture().addListener(x -> link.upstreamClosed());
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
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf data = (ByteBuf) msg;
        if (state == State.DONE) {
            data.release();
            return;
        }
        if (link.upstream == null && upstreamFailure == null) {
            // TLS hands over what it decrypts along with the handshake, unasked: held until the engine connection is up
            in = in.isReadable() ? Unpooled.wrappedBuffer(in, data) : release(in, data);
            return;
        }
        if (state == State.RAW && !in.isReadable()) {
            // The hot path of an attach or exec session: no parsing, no copy.
            link.upstream.writeAndFlush(data).addListener(f -> readOrClose(ctx, f.isSuccess()));
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
                        if (!readHead()) {
                            break loop;
                        }
                    }
                    case BODY -> forwardBody();
                    case CREATE_BODY -> collectCreateBody();
                    case RAW -> forward(in.readRetainedSlice(in.readableBytes()));
                    case AWAIT_HIJACK, DONE -> {
                        break loop;
                    }
                }
            }
            if (state == State.CREATE_BODY && bodyComplete()) {
                finishCreate(); // a create without a body: the engine will say what it misses
            }
        } catch (HttpHead.Malformed e) {
            boolean midRequest = state == State.BODY;
            fail(LocalResponse.badRequest(e.getMessage()));
            if (midRequest && link.upstream != null) {
                // The engine already has part of this request and would wait for the rest: end it, and the
                // client gets tether's answer once the engine connection is gone.
                link.upstream.close();
            }
        }
        compact();
        timeHead(ctx);
        if (lastWrite != null && link.upstream != null) {
            link.upstream.flush();
        }
        if (state == State.DONE || state == State.AWAIT_HIJACK) {
            return; // nothing more to read, or the response side resumes us
        }
        if (clientEnded && !in.isReadable()) {
            endClientInput();
        } else if (lastWrite == null) {
            readMore(ctx);
        } else {
            lastWrite.addListener(f -> readOrClose(ctx, f.isSuccess()));
        }
    }

    /** @return false if more bytes are needed */
    private boolean readHead() throws HttpHead.Malformed {
        if (firstRequest && startsLikeHttp2()) {
            if (in.readableBytes() < HTTP2_PREFACE.length) {
                return false;
            }
            // Relaying HTTP/2 raw would let creates past the labeler: clients fall back to HTTP/1.1.
            log.debug("closing a connection that speaks HTTP/2 prior knowledge");
            state = State.DONE;
            link.close();
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
        cancelHeadTimer();
        HttpHead head = HttpHead.parse(in, start, end);
        Framing framing = head.framing(true);
        if (upstreamFailure != null) {
            LocalResponse answer = LocalResponse.badGateway("cannot reach the Docker engine at "
                    + upstream.endpoint().uri() + " (" + describe(upstreamFailure)
                    + "); start dockerd, or point tether at it with --upstream");
            fail(head.first().equalsIgnoreCase("HEAD") ? answer.toHead() : answer);
            return false;
        }
        Route route = Route.of(head);
        events.requestSeen(route);
        startBody(framing);
        if (route == Route.CREATE) {
            createHead = in.readRetainedSlice(end - start);
            createTarget = head.second();
            createBody = new ByteArrayOutputStream();
            createTooLarge = false;
            state = State.CREATE_BODY;
            if (head.lists("Expect", "100-continue") && link.expected.isEmpty()) {
                // tether needs the body before the engine sees the request, so it says continue itself
                link.client.writeAndFlush(Unpooled.wrappedBuffer(
                        "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
            }
            return true;
        }
        mayHijack = route == Route.HIJACK;
        stdinAttach = mayHijack ? Route.stdinAttach(head) : Optional.empty();
        link.expected.add(new Link.Expectation(head.first().equalsIgnoreCase("HEAD"), mayHijack));
        forward(in.readRetainedSlice(end - start));
        state = State.BODY;
        if (bodyComplete()) {
            requestEnded();
        }
        return true;
    }

    /** A head that has begun must end within the timeout; an idle connection between requests has none. */
    private void timeHead(ChannelHandlerContext ctx) {
        if (state != State.HEAD || !in.isReadable()) {
            cancelHeadTimer();
        } else if (headTimer == null) {
            headTimer = ctx.executor().schedule(() -> {
                headTimer = null;
                if (state == State.HEAD && in.isReadable()) {
                    fail(LocalResponse.requestTimeout("the request head did not end within "
                            + headTimeout.toSeconds() + " s; send the whole head, ending with an empty line"));
                    compact();
                }
            }, headTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelHeadTimer() {
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
    }

    private boolean startsLikeHttp2() {
        int n = Math.min(in.readableBytes(), HTTP2_PREFACE.length);
        return n > 0 && ByteBufUtil.equals(in, in.readerIndex(), Unpooled.wrappedBuffer(HTTP2_PREFACE), 0, n);
    }

    private void startBody(Framing framing) {
        chunks = null;
        bodyRemaining = 0;
        switch (framing) {
            case Framing.Fixed fixed -> bodyRemaining = fixed.length();
            case Framing.Chunked c -> chunks = new ChunkedScanner();
            case Framing.UntilClose u -> throw new IllegalStateException("requests are never framed by close");
        }
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

    private void collectCreateBody() throws HttpHead.Malformed {
        int n;
        if (chunks == null) {
            n = (int) Math.min(bodyRemaining, in.readableBytes());
            collect(in.slice(in.readerIndex(), n));
            bodyRemaining -= n;
        } else {
            n = chunks.scan(in, this::collect);
        }
        in.skipBytes(n);
        if (createTooLarge) {
            fail(LocalResponse.tooLarge("the create body is over 1 MiB; a container's configuration is far smaller,"
                    + " so tether refuses it rather than buffer it"));
        } else if (bodyComplete()) {
            finishCreate();
        }
    }

    private void collect(ByteBuf data) {
        if (createBody.size() + data.readableBytes() > CreateInterceptor.MAX_BODY) {
            createTooLarge = true;
            return;
        }
        try {
            data.getBytes(data.readerIndex(), createBody, data.readableBytes());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void finishCreate() {
        ByteBuf head = createHead;
        createHead = null;
        try {
            switch (creates.intercept(head, createTarget, createBody.toByteArray(), owner)) {
                case CreateInterceptor.Forward forward -> {
                    link.expected.add(new Link.Expectation(false, false, forward.pending()));
                    state = State.HEAD;
                    forward(forward.request());
                }
                case CreateInterceptor.Refuse refuse -> fail(refuse.answer());
            }
        } finally {
            head.release();
            createBody = null;
        }
    }

    /** Called by the response side once the engine has answered a request that could hijack the connection. */
    void resolveHijack(boolean hijacked) {
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
        ChannelHandlerContext ctx = link.client.pipeline().context(this);
        if (ctx != null) {
            process(ctx);
        }
    }

    private void openSession() {
        stdinAttach.ifPresent(container -> session = sessions.opened(container, owner));
    }

    private void forward(ByteBuf data) {
        lastWrite = link.upstream.write(data);
    }

    private void readOrClose(ChannelHandlerContext ctx, boolean written) {
        if (written) {
            readMore(ctx);
        } else {
            link.close();
        }
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
        cancelHeadTimer();
        link.answerAndClose(answer);
    }

    private void compact() {
        if (!in.isReadable()) {
            in.release();
            in = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            clientEnded = true;
            if (state != State.AWAIT_HIJACK && !in.isReadable()) {
                endClientInput();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The client will send no more: the engine reads EOF too (the CLI's CloseWrite when stdin ends). */
    private void endClientInput() {
        if (state == State.CREATE_BODY || state == State.DONE || !link.upstreamReady()) {
            link.close();
            return;
        }
        if (session != null) {
            sessions.stdinClosed(session);
        }
        Link.shutdownOutputAfterFlush(link.upstream);
        link.closeIfBothEnded();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHeadTimer();
        in.release();
        in = Unpooled.EMPTY_BUFFER;
        if (createHead != null) {
            createHead.release();
            createHead = null;
        }
        state = State.DONE;
        // The client went away while the engine still streamed: its session ended (an exiting container closes
        // the engine side first, and that is no session's end).
        if (session != null) {
            sessions.closed(session, link.upstreamReady() && !((DuplexChannel) link.upstream).isInputShutdown());
        }
        Link.closeAfterFlush(link.upstream);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection failed: {}", cause.toString());
        link.close();
    }

    /** While tether drains: a connection between requests, waiting for no answer, is closed. */
    void closeIfIdle() {
        if (state == State.HEAD && !in.isReadable() && link != null && link.expected.isEmpty()) {
            link.close();
        }
    }

    Link link() {
        return link;
    }
}
