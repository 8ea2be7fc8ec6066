package dev.tether.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A request head that has begun must end within the timeout, or tether answers 408 and closes: a client that
 * trickles a head would otherwise hold a connection open for ever. An idle connection between requests has no
 * timeout. {@link RequestRelay}, which alone knows where heads begin and end, tells this handler by events.
 */
final class HeadTimeout extends ChannelInboundHandlerAdapter {

    /** Where the client is in its current request head. */
    enum Head { BEGUN, ENDED }

    private final Duration timeout;
    private ScheduledFuture<?> timer;

    HeadTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Head.BEGUN) {
            if (timer == null) {
                timer = ctx.executor().schedule(() -> expired(ctx), timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
        } else if (evt == Head.ENDED) {
            cancel();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void expired(ChannelHandlerContext ctx) {
        timer = null;
        ctx.write(new Decision.Refuse(LocalResponse.requestTimeout("the request head did not end within "
                + timeout.toSeconds() + " s; send the whole head, ending with an empty line")), ctx.voidPromise());
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}
