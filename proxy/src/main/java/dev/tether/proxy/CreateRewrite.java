package dev.tether.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Holds back each {@code POST /containers/create} that {@link RequestRelay} passes on, until its body is whole, and
 * writes back the {@link Decision}: the labelled request to send, or a refusal. The labeler needs the whole body,
 * so a create is the one request tether buffers.
 */
final class CreateRewrite extends ChannelInboundHandlerAdapter {

    /**
     * A create's head, as sent by {@code owner}: its body follows as {@link ByteBuf}s, decoded when chunked, then
     * {@link #END}.
     *
     * @param nothingUnanswered the engine owes no answer to an earlier request on this connection
     */
    record Begin(ByteBuf rawHead, RequestHead head, Peer owner, boolean nothingUnanswered) {}

    /** The create's body has ended. */
    record End() {}

    static final End END = new End();

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final CreateInterceptor creates;
    private ByteBuf rawHead;
    private RequestHead head;
    private Peer owner;
    private ByteArrayOutputStream body;
    private boolean tooLarge;

    CreateRewrite(CreateInterceptor creates) {
        this.creates = creates;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (msg) {
            case Begin begin -> begin(ctx, begin);
            case ByteBuf data -> {
                try {
                    collect(ctx, data);
                } finally {
                    data.release();
                }
            }
            case End end -> decide(ctx);
            default -> ctx.fireChannelRead(msg);
        }
    }

    private void begin(ChannelHandlerContext ctx, Begin begin) {
        release();
        rawHead = begin.rawHead();
        head = begin.head();
        owner = begin.owner();
        body = new ByteArrayOutputStream();
        tooLarge = false;
        if (begin.head().lists("Expect", "100-continue") && begin.nothingUnanswered()) {
            // tether needs the body before the engine sees the request, so it says continue itself; not while the
            // engine still answers earlier requests, whose answers this would interleave
            ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
        }
    }

    private void collect(ChannelHandlerContext ctx, ByteBuf data) {
        if (body == null || tooLarge) {
            return;
        }
        if (body.size() + data.readableBytes() > CreateInterceptor.MAX_BODY) {
            tooLarge = true;
            ctx.write(new Decision.Refuse(LocalResponse.tooLarge("the create body is over 1 MiB; a container's"
                    + " configuration is far smaller, so tether refuses it rather than buffer it")), ctx.voidPromise());
            return;
        }
        body.writeBytes(ByteBufUtil.getBytes(data));
    }

    private void decide(ChannelHandlerContext ctx) {
        if (body == null || tooLarge) {
            return;
        }
        try {
            ctx.write(creates.intercept(rawHead, head, body.toByteArray(), owner), ctx.voidPromise());
        } finally {
            release();
        }
    }

    private void release() {
        if (rawHead != null) {
            rawHead.release();
            rawHead = null;
        }
        body = null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }
}
