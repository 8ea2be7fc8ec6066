package dev.tether.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Finds who is on a loopback TCP connection off the event loop, then hands the connection on. Finding the process
 * scans every descriptor under /proc, tens of milliseconds that every connection sharing the loop (unix socket
 * sessions included) would otherwise wait for. What arrives meanwhile (TLS may decrypt unasked) is held, in order.
 */
final class AwaitPeer extends ChannelInboundHandlerAdapter {

    /** A user event held with the reads, so the two keep their order. */
    private record HeldEvent(Object event) {}

    private final Function<Channel, Peer> identify;
    private final Consumer<Channel> then;
    private final List<Object> held = new ArrayList<>();
    private boolean active;
    private boolean inactive;

    /**
     * @param identify blocking; caches its answer on the channel
     * @param then     adds the handlers that take over, at the end of the pipeline
     */
    AwaitPeer(Function<Channel, Peer> identify, Consumer<Channel> then) {
        this.identify = identify;
        this.then = then;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        Thread.ofVirtual().name("tether-peer").start(() -> {
            try {
                identify.apply(ch);
            } finally {
                ctx.executor().execute(() -> proceed(ctx));
            }
        });
    }

    private void proceed(ChannelHandlerContext ctx) {
        if (inactive || ctx.isRemoved()) {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
            return;
        }
        then.accept(ctx.channel());
        if (active) {
            ctx.fireChannelActive();
        }
        for (Object m : held) {
            if (m instanceof HeldEvent e) {
                ctx.fireUserEventTriggered(e.event());
            } else {
                ctx.fireChannelRead(m);
            }
        }
        held.clear();
        ctx.pipeline().remove(this);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        active = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        held.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // the held reads are passed on with proceed
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        held.add(new HeldEvent(evt));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        held.forEach(ReferenceCountUtil::release);
        held.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
