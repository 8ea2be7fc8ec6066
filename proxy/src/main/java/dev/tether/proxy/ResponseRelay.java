package dev.tether.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Engine to client. Forwards every byte as it came and reads just enough HTTP to know where each response ends
 * and whether the engine hijacked the connection (a 101, or a raw stream on attach and exec). Never buffers a
 * response: {@code docker run} waits for the headers of {@code /wait} before it starts the container.
 */
final class ResponseRelay extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ResponseRelay.class);

    private enum State { HEAD, BODY, RAW }

    private final Channel client;
    private final Exchange exchange;
    private final ProxyEvents events;
    private ByteBuf in = Unpooled.EMPTY_BUFFER;
    /** What the current response head says, read from its bytes; reused from head to head. */
    private final HeadFacts facts = new HeadFacts();
    private State state = State.HEAD;
    private long bodyRemaining;
    private ChunkedScanner chunks;
    private ChannelFuture lastWrite;
    /** Where the bytes passed on and not yet written begin in {@link #in}, or -1. */
    private int passFrom = -1;
    private ChannelFutureListener readOn;
    private boolean engineEnded;
    /** The body of a create's answer, kept (it is a few bytes of JSON) to learn the new container's id. */
    private CreateAnswer createAnswer;

    ResponseRelay(Channel client, Exchange exchange, ProxyEvents events) {
        this.client = client;
        this.exchange = exchange;
        this.events = events;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf data = (ByteBuf) msg;
        if (state == State.RAW) {
            client.writeAndFlush(data).addListener(readOn(ctx));
            return;
        }
        in = in.isReadable() ? Unpooled.wrappedBuffer(in, data) : swap(in, data);
        lastWrite = null;
        try {
            while (in.isReadable() && state != State.RAW && readNext()) {
                // each pass consumes one head or one piece of body
            }
        } catch (HttpHead.Malformed e) {
            // tether cannot frame what the engine sent: stop reading HTTP and just relay bytes
            log.warn("unexpected bytes from the engine ({}); relaying this connection raw", e.getMessage());
            state = State.RAW;
        }
        emit();
        if (state == State.RAW && in.isReadable()) {
            forward(in.readRetainedSlice(in.readableBytes()));
        }
        if (!in.isReadable()) {
            in.release();
            in = Unpooled.EMPTY_BUFFER;
        }
        if (lastWrite == null) {
            readMore(ctx);
        } else {
            client.flush();
            lastWrite.addListener(readOn(ctx));
        }
    }

    /** @return false if more bytes are needed */
    private boolean readNext() throws HttpHead.Malformed {
        if (state == State.BODY) {
            int n;
            if (chunks == null) {
                n = (int) Math.min(bodyRemaining, in.readableBytes());
                bodyRemaining -= n;
                if (createAnswer != null) {
                    createAnswer.collect(in.slice(in.readerIndex(), n));
                }
            } else {
                n = chunks.scan(in, createAnswer == null ? null : createAnswer::collect);
            }
            pass(n);
            if (chunks == null ? bodyRemaining == 0 : chunks.isDone()) {
                responseEnded();
            }
            return true;
        }
        int start = in.readerIndex();
        int end = HttpHead.end(in, start);
        if (end < 0) {
            if (in.readableBytes() > HttpHead.MAX_BYTES) {
                throw new HttpHead.Malformed("a response head over 1 MiB");
            }
            return false;
        }
        // The head's bytes answer the common case; an unusual head is read as Strings.
        StatusHead head = null;
        if (!facts.response(in, start, end)) {
            head = StatusHead.parse(in, start, end);
            facts.status(head.status());
        }
        pass(end - start);
        int status = facts.status();
        Expectation expectation = exchange.answering();
        boolean mayHijack = expectation != null && expectation.mayHijack();
        createAnswer = expectation != null && expectation.create() != null && status == 201
                ? new CreateAnswer(expectation.create()) : null;
        if (status == 101) {
            hijacked();
        } else if (StatusHead.isInterim(status)) {
            return true; // the final answer follows for the same request
        } else if ((expectation != null && expectation.headRequest()) || status == 204 || status == 304) {
            responseEnded();
        } else {
            if (head != null) {
                facts.framing(head.framing(), false); // may be malformed: only now, as it matters
            }
            if (facts.chunked()) {
                chunks = new ChunkedScanner();
                state = State.BODY;
            } else if (facts.untilClose()) {
                // The engine's attach and exec without Upgrade: 200 and a raw stream until EOF. Anything
                // else framed by close ends the connection's HTTP life just the same.
                if (mayHijack && status < 300) {
                    hijacked();
                } else {
                    state = State.RAW;
                }
            } else {
                chunks = null;
                bodyRemaining = facts.length();
                state = State.BODY;
                if (bodyRemaining == 0) {
                    responseEnded();
                }
            }
        }
        return true;
    }

    private void hijacked() {
        state = State.RAW;
        emit();
        exchange.hijacked();
    }

    private void responseEnded() {
        state = State.HEAD;
        if (createAnswer != null) {
            CreateInterceptor.PendingCreate pending = createAnswer.pending;
            createAnswer.containerId().ifPresent(id -> events.created(new ProxyEvents.Created(id,
                    pending.name(), pending.owner(), pending.host(), pending.decision())));
            createAnswer = null;
        }
        emit(); // the answer goes out before anything tether may say after it
        exchange.answered();
    }

    /** Collects the engine's {@code {"Id":…}} answer to a labelled create. */
    private static final class CreateAnswer {
        private static final int MAX = 64 * 1024;
        private static final ObjectMapper JSON = new ObjectMapper();
        final CreateInterceptor.PendingCreate pending;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        CreateAnswer(CreateInterceptor.PendingCreate pending) {
            this.pending = pending;
        }

        void collect(ByteBuf data) {
            if (body.size() + data.readableBytes() <= MAX) {
                byte[] bytes = new byte[data.readableBytes()];
                data.getBytes(data.readerIndex(), bytes);
                body.writeBytes(bytes);
            }
        }

        Optional<String> containerId() {
            try {
                String id = JSON.readTree(body.toByteArray()).path("Id").asText("");
                return id.isEmpty() ? Optional.empty() : Optional.of(id);
            } catch (IOException e) {
                return Optional.empty();
            }
        }
    }

    private void forward(ByteBuf data) {
        lastWrite = client.write(data);
    }

    /**
     * Passes the next {@code n} bytes on to the client: a head and the body after it, read at once, go out as one
     * buffer in one write (a send, where two would be a writev), when {@link #emit} comes.
     */
    private void pass(int n) {
        if (passFrom < 0) {
            passFrom = in.readerIndex();
        }
        in.skipBytes(n);
    }

    /** Writes what {@link #pass} took since the last call. */
    private void emit() {
        if (passFrom >= 0 && in.readerIndex() > passFrom) {
            forward(in.retainedSlice(passFrom, in.readerIndex() - passFrom));
        }
        passFrom = -1;
    }

    private static ByteBuf swap(ByteBuf old, ByteBuf replacement) {
        old.release();
        return replacement;
    }

    /** The listener that reads on once a write went out; one per connection ({@link Exchange#readingOn}). */
    private ChannelFutureListener readOn(ChannelHandlerContext ctx) {
        if (readOn == null) {
            readOn = exchange.readingOn(() -> readMore(ctx));
        }
        return readOn;
    }

    /** epoll refuses a read after EOF: once the engine has ended its side, there is nothing more to read. */
    private void readMore(ChannelHandlerContext ctx) {
        if (!engineEnded) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            engineEnded = true;
            // The engine has said all it will: the client reads EOF after the last byte.
            Link.shutdownOutputAfterFlush(client);
            exchange.closeIfBothEnded();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        in.release();
        in = Unpooled.EMPTY_BUFFER;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("engine connection failed: {}", cause.toString());
        exchange.close();
    }
}
