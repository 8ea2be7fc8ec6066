package dev.tether.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import dev.tether.proxy.RawHttp;

/**
 * An SDK-like owner in a JVM of its own, for {@link FaultsIT}: creates and starts one container through the socket
 * it is given (so tether ties it to this process, {@code tie=owner}), prints {@code ID <id>}, then lives until its
 * stdin ends and halts. It holds no connection open meanwhile: only its life counts.
 *
 * <p>Arguments: the socket, the container's name, the image and the value of the {@code dev.tether.test} label.
 */
public final class FaultsOwnerChild {

    private FaultsOwnerChild() {}

    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args[0]);
        String name = args[1];
        ObjectNode spec = RawHttp.JSON.createObjectNode();
        spec.put("Image", args[2]);
        spec.putArray("Cmd").add("sleep").add("600");
        spec.put("StopTimeout", 2); // sleep as PID 1 ignores SIGTERM: an engine's own shutdown waits no longer
        spec.putObject("Labels").put("dev.tether.test", args[3]);
        spec.putObject("HostConfig").put("NetworkMode", "none");
        String id;
        try (RawHttp http = RawHttp.connect(socket)) {
            RawHttp.Response created = http.exchange(RawHttp.request("POST", "/containers/create?name="
                    + URLEncoder.encode(name, StandardCharsets.UTF_8)).json(spec.toString()));
            if (created.status() != 201) {
                System.out.println("FAILED create " + created);
                Runtime.getRuntime().halt(2);
            }
            id = created.json().path("Id").asText();
            RawHttp.Response started = http.exchange(RawHttp.request("POST", "/containers/" + id + "/start"));
            if (started.status() != 204) {
                System.out.println("FAILED start " + started);
                Runtime.getRuntime().halt(2);
            }
        }
        System.out.println("ID " + id);
        System.out.flush();
        while (System.in.read() >= 0) {
            // the end of stdin is the cue
        }
        Runtime.getRuntime().halt(0);
    }
}
