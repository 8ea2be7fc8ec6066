package dev.tether.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * tether's own small HTTP API, on a socket of its own beside the Docker one (never on the Docker socket's paths,
 * which belong to the engine), with the same permissions.
 */
public final class ControlServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    private final EventLoopGroup loop = new EpollEventLoopGroup(1);
    private Channel server;

    private ControlServer(Path socket) {
        this.socket = socket;
    }

    /** The control socket that goes with a Docker socket. */
    public static Path socketFor(Path dockerSocket) {
        return dockerSocket.resolveSibling(dockerSocket.getFileName() + ".control");
    }

    /** One answer of the control API. */
    public record Reply(String contentType, byte[] body) {

        public static Reply json(JsonNode node) {
            try {
                return new Reply("application/json", JSON.writeValueAsBytes(node));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public static Reply text(String contentType, String body) {
            return new Reply(contentType, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Serves {@code GET <path>} from each route. */
    public static ControlServer start(Path socket, Optional<String> group, Map<String, Supplier<Reply>> routes)
            throws IOException {
        return start(socket, group, AllowedUids.ANYONE, routes);
    }

    /** Serves {@code GET <path>} from each route to the users {@code allowed} names; others get a 403. */
    public static ControlServer start(Path socket, Optional<String> group, AllowedUids allowed,
                                      Map<String, Supplier<Reply>> routes) throws IOException {
        ControlServer control = new ControlServer(socket);
        AccessGate gate = new AccessGate(allowed, socket.toString(), ProxyConfig.HEAD_TIMEOUT);
        try {
            ListeningSocket.prepare(socket, group);
            Path hidden = ListeningSocket.privateBindPath(socket);
            control.server = new ServerBootstrap()
                    .group(control.loop)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            if (gate.admit(ch, peerUid(ch))) {
                                ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                        new Routes(routes));
                            }
                        }
                    })
                    .bind(new DomainSocketAddress(hidden.toString())).syncUninterruptibly().channel();
            ListeningSocket.publish(hidden, socket, group);
        } catch (IOException | RuntimeException e) {
            control.close();
            throw e;
        }
        return control;
    }

    private static int peerUid(EpollDomainSocketChannel ch) {
        try {
            return ch.peerCredentials().uid();
        } catch (IOException e) {
            return -1;
        }
    }

    private static final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, Supplier<Reply>> routes;

        Routes(Map<String, Supplier<Reply>> routes) {
            this.routes = routes;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            String path = request.uri().replaceFirst("\\?.*", "");
            Supplier<Reply> route = routes.get(path);
            FullHttpResponse response;
            if (route == null || !request.method().equals(HttpMethod.GET)) {
                response = respond(HttpResponseStatus.NOT_FOUND, Reply.json(
                        JSON.createObjectNode().put("message", "tether: no " + request.method() + " " + path
                                + " here; try GET " + String.join(", ", routes.keySet()))));
            } else {
                response = respond(HttpResponseStatus.OK, route.get());
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            var written = ctx.writeAndFlush(response);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse respond(HttpResponseStatus status, Reply reply) {
            var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(reply.body()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
            return response;
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
            try {
                Files.deleteIfExists(socket);
            } catch (IOException ignored) {
                // best effort: a stale control socket is replaced at the next start
            }
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
