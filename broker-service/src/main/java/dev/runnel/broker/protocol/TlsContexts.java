package dev.runnel.broker.protocol;

import javax.net.ssl.SSLSession;

import dev.runnel.broker.security.Principal;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;

/** The TLS side of the SSL and SASL_SSL listeners. Thread-safe: every event loop asks it. */
public interface TlsContexts {

    /** A server-side TLS handler for a new connection on {@code listener}, with the current keys. */
    SslHandler newHandler(String listener, ByteBufAllocator allocator);

    /**
     * The principal of a finished handshake: the client certificate's distinguished name mapped by
     * {@code ssl.principal.mapping.rules}, or {@link Principal#ANONYMOUS} without one.
     */
    Principal principal(SSLSession session);
}
