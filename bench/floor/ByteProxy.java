import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * A reverse proxy that relays HTTP/1.1 bytes without an HTTP codec, used by bench/netty-floor.sh to measure what
 * Netty's transport and the JVM cost on their own. It runs one epoll event loop and keeps a pool of upstream
 * connections. It expects each read from a client to hold one whole request head without a body, adds an
 * X-Forwarded-For line, and relays response bytes until the response's Content-Length is reached. It closes a
 * client connection whose read contains anything else. It parses no more than that, so it is a measuring tool, not a
 * proxy to run.
 *
 * <p>Usage: {@code java -cp NETTY_CLASSPATH ByteProxy LISTEN_PORT UPSTREAM_PORT}, both on 127.0.0.1.
 */
public final class ByteProxy {

    private static final byte[] FORWARDED_FOR = "X-Forwarded-For: 127.0.0.1\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final ArrayDeque<Channel> POOL = new ArrayDeque<>();
    private static Bootstrap upstream;

    private ByteProxy() {
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
                        channel.pipeline().addLast(new UpstreamHandler());
                    }
                });
        new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new ClientHandler());
                    }
                })
                .bind("127.0.0.1", port).sync().channel().closeFuture().sync();
    }

    /** Returns the index of the first byte after the blank line that ends a head in {@code buf}, or -1. */
    private static int headEnd(ByteBuf buf) {
        for (int i = buf.readerIndex(); i + 3 < buf.writerIndex(); i++) {
            if (buf.getByte(i) == '\r' && buf.getByte(i + 1) == '\n' && buf.getByte(i + 2) == '\r'
                    && buf.getByte(i + 3) == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /** Sends each request head, with an X-Forwarded-For line added, to a pooled upstream connection. */
    private static final class ClientHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (headEnd(in) != in.writerIndex()) {
                in.release();
                ctx.close();
                return;
            }
            // The head without its blank line, then the added line and the blank line.
            ByteBuf forwarded = ctx.alloc().directBuffer(in.readableBytes() + FORWARDED_FOR.length);
            forwarded.writeBytes(in, in.readerIndex(), in.readableBytes() - 2).writeBytes(FORWARDED_FOR);
            in.release();
            Channel pooled = POOL.poll();
            if (pooled != null && pooled.isActive()) {
                pooled.pipeline().get(UpstreamHandler.class).client = ctx.channel();
                pooled.writeAndFlush(forwarded, pooled.voidPromise());
            } else {
                upstream.connect().addListener((ChannelFutureListener) connected -> {
                    connected.channel().pipeline().get(UpstreamHandler.class).client = ctx.channel();
                    connected.channel().writeAndFlush(forwarded);
                });
            }
        }
    }

    /** Relays response bytes to the client until the response's declared length is reached. */
    private static final class UpstreamHandler extends ChannelInboundHandlerAdapter {
        private Channel client;
        private long remaining = -1;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (remaining < 0) {
                int end = headEnd(in);
                String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.US_ASCII)
                        .toLowerCase(Locale.ROOT);
                int name = head.indexOf("\r\ncontent-length:");
                int value = name + "\r\ncontent-length:".length();
                long length = Long.parseLong(head.substring(value, head.indexOf('\r', value)).trim());
                remaining = end - in.readerIndex() + length;
            }
            remaining -= in.readableBytes();
            Channel to = client;
            if (remaining <= 0) {
                remaining = -1;
                client = null;
                POOL.push(ctx.channel());
                to.writeAndFlush(in, to.voidPromise());
            } else {
                to.write(in, to.voidPromise());
            }
        }
    }
}
