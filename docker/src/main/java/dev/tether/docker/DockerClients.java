package dev.tether.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import java.net.URI;
import java.time.Duration;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/** docker-java clients for an endpoint, on the httpclient5 transport (with TLS when the endpoint has it). */
public final class DockerClients {

    private DockerClients() {}

    public static DockerClient connect(Endpoint endpoint) {
        return connect(endpoint, httpClient(endpoint));
    }

    static DockerClient connect(Endpoint endpoint, DockerHttpClient http) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(endpoint.uri())
                .withDockerTlsVerify(false)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    static DockerHttpClient httpClient(Endpoint endpoint) {
        var builder = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(endpoint.uri()))
                .maxConnections(256) // a stop holds its connection until the container exits: 50 reaps at once must not queue
                .connectionTimeout(Duration.ofSeconds(5));
        if (endpoint instanceof Endpoint.Tcp tcp && tcp.tls().isPresent()) {
            // With an SSLConfig the transport dials tcp:// as https, with httpclient5's own hostname check on top of
            // the one the context's trust managers do: the same SSLContext the relay's connections use.
            SSLContext context = tcp.tls().get().sslContext();
            builder.sslConfig(() -> context);
        } else if (endpoint instanceof Endpoint.Unix) {
            builder.sslConfig(NoTls::new);
        }
        return builder.build();
    }

    /**
     * The TLS context of a unix socket, which never speaks TLS. Without one the transport builds the system's default
     * context, loading the JDK's trust store: about a tenth of a second of CPU at every start, for nothing. (A
     * plain tcp:// engine cannot have this: any context turns tcp:// into https.)
     */
    private static final class NoTls extends SSLContext {
        NoTls() {
            super(new SSLContextSpi() {
                @Override
                protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
                    throw refused();
                }

                @Override
                protected SSLSocketFactory engineGetSocketFactory() {
                    throw refused();
                }

                @Override
                protected SSLServerSocketFactory engineGetServerSocketFactory() {
                    throw refused();
                }

                @Override
                protected SSLEngine engineCreateSSLEngine() {
                    throw refused();
                }

                @Override
                protected SSLEngine engineCreateSSLEngine(String host, int port) {
                    throw refused();
                }

                @Override
                protected SSLSessionContext engineGetServerSessionContext() {
                    throw refused();
                }

                @Override
                protected SSLSessionContext engineGetClientSessionContext() {
                    throw refused();
                }
            }, null, "none");
        }

        private static UnsupportedOperationException refused() {
            return new UnsupportedOperationException("a unix socket speaks no TLS");
        }
    }
}
