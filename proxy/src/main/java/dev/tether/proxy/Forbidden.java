package dev.tether.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A connection tether turned away: its first request head gets one answer, then the connection closes. The answer
 * waits for the request, since a client that reads a response before it has sent anything (Go's) discards it.
 * After answering, tether lingers as the relay does ({@link Link#lingerThenClose}), so a client still writing reads
 * the answer, not a reset.
 */
final class Forbidden extends ChannelInboundHandlerAdapter {

    private final LocalResponse answer;
    private final Duration headTimeout;
    private boolean answered;
    private ScheduledFuture<?> timer;

    Forbidden(LocalResponse answer, Duration headTimeout) {
        this.answer = answer;
        this.headTimeout = headTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(true);
        timer = ctx.executor().schedule(() -> ctx.close(), headTimeout.toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest request && !answered) {
                answered = true;
                timer.cancel(false);
                LocalResponse reply = request.method().equals(HttpMethod.HEAD) ? answer.toHead() : answer;
                ctx.writeAndFlush(reply.encode()).addListener(f -> Link.lingerThenClose(ctx.channel()));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            ctx.close(); // the client has said all it will; if it sent no request, there is no one to answer
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
