package dev.tether.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import java.net.URI;
import java.time.Duration;
import javax.net.ssl.SSLContext;

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
        }
        return builder.build();
    }
}
