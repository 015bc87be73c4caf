package dev.runnel.broker.protocol;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.security.Session;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * Once a TLS handshake is done, gives the connection's {@link Session} the principal of the client
 * certificate; a failed handshake (a certificate not trusted, no common protocol, not TLS at all)
 * is logged once and the connection closed.
 */
final class TlsPrincipalHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TlsPrincipalHandler.class);

    private final Session session;
    private final TlsContexts tls;

    TlsPrincipalHandler(Session session, TlsContexts tls) {
        this.session = session;
        this.tls = tls;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                SslHandler handler = ctx.pipeline().get(SslHandler.class);
                session.tlsPrincipal(tls.principal(handler.engine().getSession()));
            } else {
                log.info("TLS handshake with {} on listener {} failed: {}", ctx.channel().remoteAddress(),
                        session.listener(), done.cause().toString());
                ctx.close();
            }
            ctx.fireUserEventTriggered(event);
            ctx.pipeline().remove(this);
            return;
        }
        super.userEventTriggered(ctx, event);
    }
}
