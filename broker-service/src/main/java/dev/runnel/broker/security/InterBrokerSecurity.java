package dev.runnel.broker.security;

import java.net.Socket;

import javax.net.SocketFactory;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * How this broker connects to another broker's inter-broker listener: the sockets (plain, or TLS
 * when that listener uses it, with the other broker's certificate checked against this broker's
 * trust store and its host name), and the proof that this connection is a broker.
 *
 * @param authentication proves the connection is broker <em>n</em> ({@link BrokerAuthentication#MECHANISM})
 * @param sockets        opens the connections
 * @param verifyHostname whether a TLS peer's certificate must name the host connected to
 *                       ({@code ssl.endpoint.identification.algorithm=https})
 */
public record InterBrokerSecurity(BrokerAuthentication authentication, SocketFactory sockets, boolean verifyHostname) {

    /** Plain sockets. */
    public static InterBrokerSecurity plaintext(BrokerAuthentication authentication) {
        return new InterBrokerSecurity(authentication, SocketFactory.getDefault(), false);
    }

    /** Applies the host name check to a new TLS socket, before its handshake. */
    public void prepare(Socket socket) {
        if (verifyHostname && socket instanceof SSLSocket tls) {
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            tls.setSSLParameters(parameters);
        }
    }
}
