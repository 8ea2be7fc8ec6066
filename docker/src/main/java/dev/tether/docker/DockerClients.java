package dev.tether.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.time.Duration;

/** docker-java clients for an endpoint, on the httpclient5 transport. */
public final class DockerClients {

    private DockerClients() {}

    public static DockerClient connect(Endpoint endpoint) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(endpoint.uri())
                .withDockerTlsVerify(false)
                .build();
        var http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .maxConnections(32)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }
}
