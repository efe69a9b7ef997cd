import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * A reverse proxy with the least work that Netty's HTTP/1.1 codec allows, used by bench/netty-floor.sh to measure
 * what the codec and the JVM cost on their own. It runs one epoll event loop, keeps a pool of upstream connections,
 * copies the request headers except Connection, adds X-Forwarded-For and relays the response's parts as they
 * arrive. It handles requests without a body only and checks nothing, so it is a measuring tool, not a proxy to run.
 *
 * <p>Usage: {@code java -cp NETTY_CLASSPATH CodecProxy LISTEN_PORT UPSTREAM_PORT}, both on 127.0.0.1.
 */
public final class CodecProxy {

    private static final ArrayDeque<Channel> POOL = new ArrayDeque<>();
    private static Bootstrap upstream;

    private CodecProxy() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        int upstreamPort = Integer.parseInt(args[1]);
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        upstream = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress("127.0.0.1", upstreamPort)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HttpClientCodec(), new UpstreamHandler());
                    }
                });
        new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new ClientHandler());
                    }
                })
                .bind("127.0.0.1", port).sync().channel().closeFuture().sync();
    }

    /** Sends each request to a pooled upstream connection. */
    private static final class ClientHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                HttpHeaders headers = new DefaultHttpHeaders();
                for (var header : request.headers()) {
                    if (!header.getKey().equalsIgnoreCase("connection")) {
                        headers.add(header.getKey(), header.getValue());
                    }
                }
                headers.add("x-forwarded-for", "127.0.0.1");
                DefaultFullHttpRequest forwarded = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                        request.uri(), Unpooled.EMPTY_BUFFER, headers, EmptyHttpHeaders.INSTANCE);
                Channel pooled = POOL.poll();
                if (pooled != null && pooled.isActive()) {
                    pooled.pipeline().get(UpstreamHandler.class).client = ctx.channel();
                    pooled.writeAndFlush(forwarded);
                } else {
                    upstream.connect().addListener((ChannelFutureListener) connected -> {
                        connected.channel().pipeline().get(UpstreamHandler.class).client = ctx.channel();
                        connected.channel().writeAndFlush(forwarded);
                    });
                }
            }
            ReferenceCountUtil.release(msg);
        }
    }

    /** Relays the response of an upstream connection to the client that sent the request. */
    private static final class UpstreamHandler extends ChannelInboundHandlerAdapter {
        private Channel client;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse response) {
                client.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), response.headers()));
            }
            if (msg instanceof LastHttpContent last) {
                client.writeAndFlush(new DefaultLastHttpContent(last.content()));
                client = null;
                POOL.push(ctx.channel());
            } else if (msg instanceof HttpContent content) {
                client.write(new DefaultHttpContent(content.content()));
            }
        }
    }
}
